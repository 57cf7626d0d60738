# PostgreSQL client tools (psql, pg_dump).
if ! command -v psql >/dev/null 2>&1; then
  if [ "${CLOUDC_OS}" = debian ]; then
    cloudc_install postgresql-client
  else
    cloudc_install postgresql16
  fi
fi
