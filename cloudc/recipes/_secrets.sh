# Secrets are read from Secrets Manager at boot (never written into user data).
if ! command -v aws >/dev/null 2>&1; then
  if [ "${CLOUDC_OS}" = debian ]; then
    curl -fsSL "https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m).zip" -o /tmp/awscliv2.zip
    unzip -q -o /tmp/awscliv2.zip -d /tmp/awscli && /tmp/awscli/aws/install --update
  else
    cloudc_install awscli-2
  fi
fi
command -v jq >/dev/null 2>&1 || cloudc_install jq
cloudc_secret() {
  # Append NAME='value' for a secret (optionally one JSON key of it) to the env file.
  local name="$1" id="$2" key="${3:-}" value
  value="$(aws secretsmanager get-secret-value --secret-id "${id}" --query SecretString --output text)"
  if [ -n "${key}" ]; then value="$(printf '%s' "${value}" | jq -r --arg k "${key}" '.[$k]')"; fi
  printf "%s='%s'\n" "${name}" "${value//\'/\'\\\'\'}" >> /etc/cloudc/app.env
}
