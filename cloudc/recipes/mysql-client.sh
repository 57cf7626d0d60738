# MySQL-compatible client tools (mysql, mysqldump).
if ! command -v mysql >/dev/null 2>&1; then
  if [ "${CLOUDC_OS}" = debian ]; then
    cloudc_install default-mysql-client
  else
    cloudc_install mariadb105
  fi
fi
