# CloudFormation waits for this instance (CreationPolicy, rolling update): it hears FAILURE as
# soon as a step fails, so a bad release rolls back at once, and SUCCESS once the app answers.
# A scale-out instance has no operation waiting for it: its signal is refused, harmlessly.
cloudc_signalled=""
cloudc_units=()
cloudc_signal() {
  # Send STATUS (SUCCESS or FAILURE) for this instance to the resource CloudFormation waits on.
  if aws cloudformation signal-resource --region "${CLOUDC_REGION}" --stack-name "${CLOUDC_STACK}" \
    --logical-resource-id "${CLOUDC_SIGNAL_RESOURCE}" --unique-id "${CLOUDC_INSTANCE_ID}" \
    --status "$1"; then
    echo "cloudc: signalled $1 to ${CLOUDC_SIGNAL_RESOURCE}"
  else
    echo "cloudc: no CloudFormation operation took the $1 signal (a scale-out instance)" >&2
  fi
  cloudc_signalled="$1"
}
cloudc_on_exit() {
  local status=$?
  if [ "${status}" -ne 0 ] && [ -z "${cloudc_signalled}" ]; then
    cloudc_signal FAILURE
  fi
}
trap cloudc_on_exit EXIT
