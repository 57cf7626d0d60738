# pm2 (a Node.js program) keeps the app running as the app user and starts it on boot.
command -v pm2 >/dev/null 2>&1 || npm install -g pm2
pm2 startup systemd -u app --hp /home/app
if [ -n "${CLOUDC_START}" ]; then
  {
    echo '#!/bin/bash'
    echo 'set -a; . /etc/cloudc/app.env; set +a'
    printf 'export PORT=%q\n' "${CLOUDC_APP_PORT}"
    printf 'cd %q\n' "${CLOUDC_APP_DIR}"
    echo 'pm2 delete app >/dev/null 2>&1 || true'
    printf 'pm2 start %q --name app --time\n' "${CLOUDC_START}"
    echo 'pm2 save'
  } > /home/app/ecosystem.sh
  chown app:app /home/app/ecosystem.sh
  chmod 0750 /home/app/ecosystem.sh
  su - app -c /home/app/ecosystem.sh || echo "cloudc: the app did not start yet; deploy code to ${CLOUDC_APP_DIR} and run /home/app/ecosystem.sh"
fi
