# The app as a systemd service (restarted on failure, started on boot).
cat > "/etc/systemd/system/${CLOUDC_SERVICE}.service" <<UNIT
[Unit]
Description=${CLOUDC_NAME} (cloudc)
After=network-online.target
Wants=network-online.target

[Service]
User=app
Group=app
WorkingDirectory=${CLOUDC_APP_DIR}
EnvironmentFile=/etc/cloudc/app.env
Environment=PORT=${CLOUDC_APP_PORT}
StandardOutput=append:/var/log/cloudc/${CLOUDC_SERVICE}.log
StandardError=append:/var/log/cloudc/${CLOUDC_SERVICE}.log
ExecStart=/bin/bash -lc 'exec ${CLOUDC_START}'
Restart=always
RestartSec=5
NoNewPrivileges=true

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable "${CLOUDC_SERVICE}"
systemctl restart "${CLOUDC_SERVICE}" || echo "cloudc: ${CLOUDC_SERVICE} did not start yet; deploy code to ${CLOUDC_APP_DIR}"
