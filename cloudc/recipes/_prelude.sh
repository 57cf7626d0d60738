# Runs as root from cloud-init on the first boot; safe to run again (every step checks first).
set -euo pipefail
exec > >(tee -a /var/log/cloudc-init.log) 2>&1
echo "cloudc: setting up ${CLOUDC_NAME} ($(date -u +%FT%TZ))"

. /etc/os-release
case "${ID}" in
  ubuntu|debian) CLOUDC_OS=debian ;;
  amzn|rhel|centos|fedora|rocky|almalinux) CLOUDC_OS=rhel ;;
  *) echo "cloudc: unsupported distribution ${ID}" >&2; exit 1 ;;
esac
export DEBIAN_FRONTEND=noninteractive
case "$(uname -m)" in
  aarch64|arm64) CLOUDC_ARCH=arm64 ;;
  *) CLOUDC_ARCH=amd64 ;;
esac

cloudc_updated=""
cloudc_install() {
  # Install packages with the distribution's package manager (refreshing indexes once).
  if [ "${CLOUDC_OS}" = debian ]; then
    if [ -z "${cloudc_updated}" ]; then apt-get update -q; cloudc_updated=1; fi
    apt-get install -y -q --no-install-recommends "$@"
  else
    dnf install -y -q "$@"
  fi
}

for cloudc_tool in curl tar gzip unzip; do
  command -v "${cloudc_tool}" >/dev/null 2>&1 || cloudc_install "${cloudc_tool}"
done

# The app's system user and directory.
if ! id -u app >/dev/null 2>&1; then
  useradd --system --create-home --home-dir /home/app --shell /bin/bash app
fi
install -d -o app -g app -m 0755 "${CLOUDC_APP_DIR}"
