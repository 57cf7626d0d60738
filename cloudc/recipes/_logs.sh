# Logs: the app, the workers, cron and this script write to /var/log/cloudc/<name>.log (rotated
# daily, 7 kept), and the CloudWatch agent sends each file to the server's log group as the
# stream <instance id>/<name>.log. The agent is a convenience, not a boot step: when it cannot
# be installed or started, a warning is logged and the boot goes on (the files stay here).
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/download-CloudWatch-Agent-commandline-first.html
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html
install -d -m 0755 /etc/logrotate.d
cat > /etc/logrotate.d/cloudc <<'ROTATE'
/var/log/cloudc/*.log {
  daily
  rotate 7
  copytruncate
  compress
  delaycompress
  missingok
  notifempty
}
ROTATE
cloudc_log_agent() {
  # Install the agent (once) and start it on the files of CLOUDC_LOG_FILES; fails softly.
  local ctl=/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl f list=""
  if [ ! -x "${ctl}" ]; then
    if [ "${CLOUDC_OS}" = debian ]; then
      cloudc_fetch "https://amazoncloudwatch-agent.s3.amazonaws.com/ubuntu/${CLOUDC_ARCH}/latest/amazon-cloudwatch-agent.deb" /tmp/cwagent.deb || return 1
      cloudc_retry dpkg -i -E /tmp/cwagent.deb || return 1
      rm -f /tmp/cwagent.deb
    else
      cloudc_install amazon-cloudwatch-agent || return 1
    fi
  fi
  for f in ${CLOUDC_LOG_FILES}; do
    list+="${list:+,}{\"file_path\":\"/var/log/cloudc/${f}.log\",\"log_group_name\":\"${CLOUDC_LOG_GROUP}\",\"log_stream_name\":\"{instance_id}/${f}.log\"}"
  done
  printf '{"logs":{"logs_collected":{"files":{"collect_list":[%s]}}}}\n' "${list}" > /etc/cloudc/cloudwatch-agent.json || return 1
  "${ctl}" -a fetch-config -m ec2 -s -c file:/etc/cloudc/cloudwatch-agent.json
}
install -d -m 0755 /etc/cloudc
cloudc_log_agent || echo "cloudc: warning: the CloudWatch agent is not running; the logs stay in /var/log/cloudc" >&2
