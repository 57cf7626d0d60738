# A local Redis server, listening on 127.0.0.1 only.
if [ "${CLOUDC_OS}" = debian ]; then
  cloudc_install redis-server
  cloudc_redis=redis-server
else
  cloudc_install redis6
  cloudc_redis=redis6
fi
systemctl enable "${cloudc_redis}"
systemctl restart "${cloudc_redis}"
