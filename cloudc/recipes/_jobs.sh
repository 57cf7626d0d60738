# Each command (build, workers, cron) is a script in /etc/cloudc/jobs that runs it the way the
# app runs: as `app`, with the env file loaded (secrets included), PORT set, in the app directory.
install -d -m 0755 /etc/cloudc/jobs
cloudc_job() {
  # Write /etc/cloudc/jobs/NAME, which runs COMMAND (any shell text).
  local file="/etc/cloudc/jobs/$1"
  {
    echo '#!/bin/bash'
    echo 'set -eo pipefail'
    echo 'export HOME=/home/app PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    echo 'set -a; . /etc/cloudc/app.env; set +a'
    printf 'export PORT=%q\n' "${CLOUDC_APP_PORT}"
    printf 'cd %q\n' "${CLOUDC_APP_DIR}"
    printf '%s\n' "$2"
  } > "${file}.new"
  chmod 0755 "${file}.new"
  mv -f "${file}.new" "${file}"
}
