# Composer, checked against the installer's published signature.
if ! command -v composer >/dev/null 2>&1; then
  cloudc_fetch https://composer.github.io/installer.sig /tmp/composer-setup.sig
  cloudc_fetch https://getcomposer.org/installer /tmp/composer-setup.php
  cloudc_expected="$(cat /tmp/composer-setup.sig)"
  cloudc_actual="$(php -r "echo hash_file('sha384', '/tmp/composer-setup.php');")"
  if [ "${cloudc_expected}" != "${cloudc_actual}" ]; then
    echo "cloudc: composer installer signature mismatch" >&2
    exit 1
  fi
  php /tmp/composer-setup.php --quiet --install-dir=/usr/local/bin --filename=composer
  rm -f /tmp/composer-setup.php /tmp/composer-setup.sig
fi
COMPOSER_ALLOW_SUPERUSER=1 composer --version
