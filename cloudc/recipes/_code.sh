# The app's code: the content-hashed zip of `code` from the artifacts bucket (the instance role
# may read exactly this object), unpacked into the app directory, owned by `app`.
cloudc_zip="$(mktemp)"
cloudc_retry aws s3 cp --only-show-errors --region "${CLOUDC_REGION}" "${CLOUDC_CODE_URL}" "${cloudc_zip}"
unzip -q -o "${cloudc_zip}" -d "${CLOUDC_APP_DIR}"
rm -f "${cloudc_zip}"
chown -R app:app "${CLOUDC_APP_DIR}"
echo "cloudc: code ${CLOUDC_CODE_URL##*/} unpacked into ${CLOUDC_APP_DIR}"
