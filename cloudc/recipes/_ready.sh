# Ready: the app answers its health check here as the load balancer will ask it, and the
# workers keep running; then SUCCESS (a rolling update moves on to the next instance).
if [ -n "${CLOUDC_HEALTH_URL}" ]; then
  echo "cloudc: waiting for ${CLOUDC_HEALTH_URL}"
  cloudc_deadline=$((SECONDS + 300))
  until curl -fsS -o /dev/null --max-time 5 "${CLOUDC_HEALTH_URL}"; do
    if [ "${SECONDS}" -ge "${cloudc_deadline}" ]; then
      echo "cloudc: ${CLOUDC_HEALTH_URL} did not answer within 5 minutes" >&2
      exit 1
    fi
    sleep 5
  done
fi
if [ "${#cloudc_units[@]}" -gt 0 ]; then
  sleep 10  # a worker that exits at once is restarted within RestartSec: let it show
  for cloudc_unit in "${cloudc_units[@]}"; do
    if ! systemctl is-active --quiet "${cloudc_unit}" || \
      [ "$(systemctl show -p NRestarts --value "${cloudc_unit}")" != 0 ]; then
      echo "cloudc: ${cloudc_unit} does not stay up (/var/log/cloudc/${cloudc_unit%@*}.log, journalctl -u ${cloudc_unit})" >&2
      exit 1
    fi
  done
fi
cloudc_signal SUCCESS
