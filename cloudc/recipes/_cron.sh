# Cron: /etc/cron.d entries run as `app` (UTC), never two runs of one job at once (flock), the
# output appended to /var/log/cloudc/<service>-cron-<name>.log (made by root, written by `app`).
# Ubuntu has cron; Amazon Linux 2023 gets cronie.
if [ "${CLOUDC_OS}" = debian ]; then
  command -v cron >/dev/null 2>&1 || cloudc_install cron
  cloudc_cron_service=cron
else
  command -v crond >/dev/null 2>&1 || cloudc_install cronie
  cloudc_cron_service=crond
fi
systemctl enable --now "${cloudc_cron_service}"
install -d -m 0755 /etc/cron.d
cloudc_cron() {
  # Run COMMAND on SCHEDULE (five crontab fields, or @hourly and the like) as the app user.
  local name="$1" tag="${CLOUDC_SERVICE}-cron-$1"
  cloudc_job "cron-${name}" "$3"
  [ -e "/var/log/cloudc/${tag}.log" ] || install -m 0640 -o app -g app /dev/null "/var/log/cloudc/${tag}.log"
  {
    echo 'SHELL=/bin/bash'
    echo 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    printf '%s app flock -n /tmp/%s.lock /etc/cloudc/jobs/cron-%s >>/var/log/cloudc/%s.log 2>&1\n' \
      "$2" "${tag}" "${name}" "${tag}"
  } > "/etc/cron.d/${tag}.new"
  chmod 0644 "/etc/cron.d/${tag}.new"
  mv -f "/etc/cron.d/${tag}.new" "/etc/cron.d/${tag}"
}
