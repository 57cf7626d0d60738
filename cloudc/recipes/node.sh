# Node.js (LTS) with npm, from NodeSource (the distributions' own packages are older).
if ! command -v node >/dev/null 2>&1; then
  if [ "${CLOUDC_OS}" = debian ]; then
    cloudc_fetch "https://deb.nodesource.com/setup_${CLOUDC_NODE_VERSION}.x" /tmp/nodesource-setup.sh
  else
    cloudc_fetch "https://rpm.nodesource.com/setup_${CLOUDC_NODE_VERSION}.x" /tmp/nodesource-setup.sh
  fi
  # The setup script adds the repository and refreshes the package index itself.
  cloudc_retry bash /tmp/nodesource-setup.sh
  rm -f /tmp/nodesource-setup.sh
  cloudc_install nodejs
fi
node --version
npm --version
