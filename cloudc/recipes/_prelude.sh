# Runs as root from cloud-init on the first boot; safe to run again (every step checks first).
set -euo pipefail
# cloud-init starts user data without HOME or SHELL; installers (bun's), npm and pm2 read them.
export HOME="${HOME:-/root}" SHELL="${SHELL:-/bin/bash}"
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:${PATH}}"
# What the app, its workers, cron and this script print: /var/log/cloudc/<name>.log.
install -d -m 0755 /var/log/cloudc
exec > >(tee -a /var/log/cloudc/boot.log) 2>&1
trap 'echo "cloudc: the boot script failed at line ${LINENO}; see /var/log/cloudc/boot.log" >&2' ERR
echo "cloudc: setting up ${CLOUDC_NAME} ($(date -u +%FT%TZ))"

# shellcheck source=/dev/null
. /etc/os-release
case "${ID:-}" in
  ubuntu|debian) CLOUDC_OS=debian ;;
  amzn|rhel|centos|fedora|rocky|almalinux) CLOUDC_OS=rhel ;;
  *) echo "cloudc: unsupported distribution ${ID:-unknown}" >&2; exit 1 ;;
esac
# No prompts from apt, debconf or needrestart (Ubuntu 22.04 and later).
export DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a
case "$(uname -m)" in
  aarch64|arm64) CLOUDC_ARCH=arm64 ;;
  *) CLOUDC_ARCH=amd64 ;;
esac

cloudc_retry() {
  # Run a command until it succeeds, up to 10 times, 15 seconds apart: at first boot the
  # network (a new NAT gateway) and the package locks (unattended-upgrades) take time.
  local attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if "$@"; then return 0; fi
    echo "cloudc: \`$*\` failed (attempt ${attempt} of 10)" >&2
    sleep 15
  done
  return 1
}

cloudc_fetch() {
  # Download a URL to a file, retrying network errors.
  curl -fsSL --retry 5 --retry-delay 5 --retry-all-errors --connect-timeout 15 -o "$2" "$1"
}

cloudc_updated=""
cloudc_install() {
  # Install packages with the distribution's package manager (refreshing indexes once), waiting
  # for the dpkg lock that unattended-upgrades may hold at first boot.
  if [ "${CLOUDC_OS}" = debian ]; then
    if [ -z "${cloudc_updated}" ]; then
      cloudc_retry apt-get -o DPkg::Lock::Timeout=300 update -q
      cloudc_updated=1
    fi
    cloudc_retry apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "$@"
  else
    cloudc_retry dnf install -y -q "$@"
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
