# Workers: COUNT instances of a templated systemd unit <service>-<name>@.service, started on
# boot and restarted on failure; `systemctl status '<service>-<name>@*'` shows them. All
# instances of a worker append to /var/log/cloudc/<service>-<name>.log.
cloudc_worker() {
  # Run COMMAND as COUNT instances of the unit SERVICE-NAME@.service.
  local name="$1" count="$2" unit="${CLOUDC_SERVICE}-$1" i
  cloudc_job "worker-${name}" "$3"
  cat > "/etc/systemd/system/${unit}@.service" <<UNIT
[Unit]
Description=${CLOUDC_NAME} worker ${name} %i (cloudc)
After=network-online.target
Wants=network-online.target

[Service]
User=app
Group=app
WorkingDirectory=${CLOUDC_APP_DIR}
ExecStart=/etc/cloudc/jobs/worker-${name}
StandardOutput=append:/var/log/cloudc/${unit}.log
StandardError=append:/var/log/cloudc/${unit}.log
Restart=always
RestartSec=5
TimeoutStopSec=60
NoNewPrivileges=true

[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload
  for i in $(seq 1 "${count}"); do
    systemctl enable --now "${unit}@${i}.service"
    cloudc_units+=("${unit}@${i}.service")
  done
}
