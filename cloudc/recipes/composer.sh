# Composer, checked against the installer's published signature.
if ! command -v composer >/dev/null 2>&1; then
  cloudc_expected="$(curl -fsSL https://composer.github.io/installer.sig)"
  curl -fsSL https://getcomposer.org/installer -o /tmp/composer-setup.php
  cloudc_actual="$(php -r "echo hash_file('sha384', '/tmp/composer-setup.php');")"
  if [ "${cloudc_expected}" != "${cloudc_actual}" ]; then
    echo "cloudc: composer installer signature mismatch" >&2
    exit 1
  fi
  php /tmp/composer-setup.php --quiet --install-dir=/usr/local/bin --filename=composer
  rm -f /tmp/composer-setup.php
fi
composer --version
