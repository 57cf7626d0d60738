# pm2 (a Node.js program, so this recipe needs node) keeps the app running as the app user and
# starts it on boot (pm2-app.service resurrects what `app` saved).
command -v pm2 >/dev/null 2>&1 || cloudc_retry npm install -g --no-fund --no-audit pm2
pm2 startup systemd -u app --hp /home/app
if [ -n "${CLOUDC_START}" ]; then
  # start.sh reads the env file at every (re)start, so secrets read at boot reach the app.
  {
    echo '#!/bin/bash'
    echo 'set -a; . /etc/cloudc/app.env; set +a'
    printf 'export PORT=%q\n' "${CLOUDC_APP_PORT}"
    printf 'cd %q\n' "${CLOUDC_APP_DIR}"
    printf 'exec %s\n' "${CLOUDC_START}"
  } > /home/app/start.sh
  cat > /home/app/ecosystem.sh <<'PM2'
#!/bin/bash
pm2 delete app >/dev/null 2>&1 || true
pm2 start /home/app/start.sh --name app --interpreter bash --time \
  --output /var/log/cloudc/app.log --error /var/log/cloudc/app.log
pm2 save
PM2
  chown app:app /home/app/start.sh /home/app/ecosystem.sh
  [ -e /var/log/cloudc/app.log ] || install -m 0640 -o app -g app /dev/null /var/log/cloudc/app.log
  chmod 0750 /home/app/start.sh /home/app/ecosystem.sh
  su - app -c /home/app/ecosystem.sh || echo "cloudc: the app did not start yet; deploy code to ${CLOUDC_APP_DIR} and run /home/app/ecosystem.sh as app"
fi
