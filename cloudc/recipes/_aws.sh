# The AWS CLI (secrets, the code and the CloudFormation signal go through it with the instance
# role): preinstalled on Amazon Linux 2023, the official v2 bundle on Ubuntu.
if ! command -v aws >/dev/null 2>&1; then
  if [ "${CLOUDC_OS}" = debian ]; then
    cloudc_fetch "https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m).zip" /tmp/awscliv2.zip
    rm -rf /tmp/awscli
    unzip -q -o /tmp/awscliv2.zip -d /tmp/awscli
    /tmp/awscli/aws/install --update
    rm -rf /tmp/awscli /tmp/awscliv2.zip
  else
    cloudc_install awscli-2
  fi
fi
# The region and this instance's ID from the instance metadata service (IMDSv2 token).
cloudc_imds="$(curl -fsS --retry 5 --retry-all-errors -X PUT http://169.254.169.254/latest/api/token \
  -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')"
CLOUDC_REGION="$(curl -fsS --retry 5 --retry-all-errors -H "X-aws-ec2-metadata-token: ${cloudc_imds}" \
  http://169.254.169.254/latest/meta-data/placement/region)"
CLOUDC_INSTANCE_ID="$(curl -fsS --retry 5 --retry-all-errors -H "X-aws-ec2-metadata-token: ${cloudc_imds}" \
  http://169.254.169.254/latest/meta-data/instance-id)"
