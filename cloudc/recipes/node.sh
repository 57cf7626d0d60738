# Node.js (LTS) from NodeSource, with npm.
if ! command -v node >/dev/null 2>&1; then
  if [ "${CLOUDC_OS}" = debian ]; then
    curl -fsSL "https://deb.nodesource.com/setup_${CLOUDC_NODE_VERSION}.x" | bash -
    cloudc_install nodejs
  else
    curl -fsSL "https://rpm.nodesource.com/setup_${CLOUDC_NODE_VERSION}.x" | bash -
    cloudc_install nodejs
  fi
fi
node --version
