# A Let's Encrypt certificate for nginx (certbot), retried until DNS points here, then renewed.
if [ ! -x /opt/certbot/bin/certbot ]; then
  if [ "${CLOUDC_OS}" = debian ]; then cloudc_install python3-venv; else cloudc_install python3; fi
  python3 -m venv /opt/certbot
  cloudc_retry /opt/certbot/bin/pip install --quiet --upgrade pip certbot certbot-nginx
  ln -sf /opt/certbot/bin/certbot /usr/local/bin/certbot
fi
if [ -n "${CLOUDC_EMAIL}" ]; then
  cloudc_contact="-m ${CLOUDC_EMAIL}"
else
  cloudc_contact="--register-unsafely-without-email"
fi
cat > /usr/local/sbin/cloudc-certbot <<CERTBOT
#!/bin/bash
set -euo pipefail
for attempt in \$(seq 1 30); do
  if /opt/certbot/bin/certbot --nginx --non-interactive --agree-tos --redirect \
      ${cloudc_contact} \
      -d "${CLOUDC_DOMAIN}"; then
    exit 0
  fi
  sleep 60
done
exit 1
CERTBOT
chmod 0755 /usr/local/sbin/cloudc-certbot
cat > /etc/systemd/system/cloudc-certbot.service <<'UNIT'
[Unit]
Description=Obtain or renew the Let's Encrypt certificate (cloudc)
After=network-online.target nginx.service

[Service]
Type=oneshot
ExecStart=/bin/bash -c 'if [ -d /etc/letsencrypt/live ]; then /opt/certbot/bin/certbot renew --quiet --deploy-hook "systemctl reload nginx"; else /usr/local/sbin/cloudc-certbot; fi'
UNIT
cat > /etc/systemd/system/cloudc-certbot.timer <<'UNIT'
[Unit]
Description=Renew the Let's Encrypt certificate twice a day (cloudc)

[Timer]
OnBootSec=2min
OnUnitActiveSec=12h
RandomizedDelaySec=1h
Persistent=true

[Install]
WantedBy=timers.target
UNIT
systemctl daemon-reload
systemctl enable --now cloudc-certbot.timer
systemctl start --no-block cloudc-certbot.service
