# MySQL-compatible client tools (mysql, mysqldump).
if ! command -v mysql >/dev/null 2>&1; then
  if [ "${CLOUDC_OS}" = debian ]; then
    cloudc_install default-mysql-client
  else
    cloudc_install mariadb105
  fi
fi
# The RDS CA bundle, for clients that verify the server (a MySQL parameter group with
# require_secure_transport=1 refuses unencrypted connections; Laravel: MYSQL_ATTR_SSL_CA).
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html
install -d -m 0755 /etc/cloudc
cloudc_fetch https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem /etc/cloudc/rds-global-bundle.pem.new
chmod 0644 /etc/cloudc/rds-global-bundle.pem.new
mv -f /etc/cloudc/rds-global-bundle.pem.new /etc/cloudc/rds-global-bundle.pem
