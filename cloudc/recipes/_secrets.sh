# Secrets are read from Secrets Manager or SSM at boot (never written into user data).
command -v jq >/dev/null 2>&1 || cloudc_install jq
cloudc_secret() {
  # Append NAME='value' to the env file. FROM is a Secrets Manager ARN, optionally followed
  # by :json-key:version-stage:version-id; an SSM parameter ARN; or a CloudFormation dynamic
  # reference without its braces (resolve:secretsmanager:ID[:SecretString:KEY...] or
  # resolve:ssm-secure:NAME).
  local name="$1" from="$2" id="" key="" value=""
  case "${from}" in
    resolve:ssm-secure:*|arn:*:ssm:*)
      value="$(cloudc_retry aws ssm get-parameter --region "${CLOUDC_REGION}" --with-decryption \
        --name "${from#resolve:ssm-secure:}" --query Parameter.Value --output text)" ;;
    *)
      if [ "${from#resolve:secretsmanager:}" != "${from}" ]; then
        from="${from#resolve:secretsmanager:}"
        id="${from%%:SecretString:*}"
        key="$(printf '%s' "${from#"${id}"}" | cut -s -d: -f3)"
      else
        id="$(printf '%s' "${from}" | cut -d: -f1-7)"
        key="$(printf '%s' "${from}" | cut -s -d: -f8)"
      fi
      value="$(cloudc_retry aws secretsmanager get-secret-value --region "${CLOUDC_REGION}" \
        --secret-id "${id}" --query SecretString --output text)"
      if [ -n "${key}" ]; then value="$(printf '%s' "${value}" | jq -r --arg k "${key}" '.[$k]')"; fi ;;
  esac
  printf "%s='%s'\n" "${name}" "${value//\'/\'\\\'\'}" >> /etc/cloudc/app.env
}
