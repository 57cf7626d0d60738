# PHP-FPM with the extensions Laravel and WordPress expect.
if ! command -v php >/dev/null 2>&1; then
  if [ "${CLOUDC_OS}" = debian ]; then
    cloudc_install php-fpm php-cli php-mysql php-pgsql php-sqlite3 php-redis php-mbstring \
      php-xml php-curl php-zip php-bcmath php-intl php-gd
  else
    cloudc_install php8.3 php8.3-fpm php8.3-cli php8.3-mysqlnd php8.3-pgsql php8.3-mbstring \
      php8.3-xml php8.3-bcmath php8.3-intl php8.3-gd php8.3-opcache
  fi
fi
cloudc_fpm_service="$(systemctl list-unit-files --no-legend 'php*-fpm.service' | awk '{print $1}' | head -n1)"
if [ -n "${cloudc_fpm_service}" ]; then
  # Run PHP as the app user (it owns the code); the web server keeps access to the socket.
  if [ "${CLOUDC_OS}" = debian ]; then cloudc_web=www-data; else cloudc_web=nginx; fi
  for cloudc_pool in /etc/php-fpm.d/www.conf /etc/php/*/fpm/pool.d/www.conf; do
    [ -f "${cloudc_pool}" ] || continue
    sed -i -e 's/^user = .*/user = app/' -e 's/^group = .*/group = app/' \
      -e "s/^;\\?listen.owner = .*/listen.owner = ${cloudc_web}/" \
      -e "s/^;\\?listen.group = .*/listen.group = ${cloudc_web}/" \
      -e 's/^;\?clear_env = .*/clear_env = no/' "${cloudc_pool}"
  done
  # PHP sees the app's environment (Laravel's getenv()): PHP-FPM keeps its own environment
  # (clear_env = no), which systemd loads from the env file (secrets read at boot included).
  install -d "/etc/systemd/system/${cloudc_fpm_service}.d"
  printf '[Service]\nEnvironmentFile=/etc/cloudc/app.env\n' \
    > "/etc/systemd/system/${cloudc_fpm_service}.d/cloudc-env.conf"
  systemctl daemon-reload
  systemctl enable "${cloudc_fpm_service}"
  systemctl restart "${cloudc_fpm_service}"
fi
php --version
