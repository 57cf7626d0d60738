# The build, once, before anything starts: a failing build fails the boot (and the release).
cloudc_job build "${CLOUDC_BUILD}"
echo "cloudc: building: ${CLOUDC_BUILD}"
runuser -u app -- /etc/cloudc/jobs/build
