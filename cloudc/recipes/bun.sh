# Bun, installed for every user as /usr/local/bin/bun (BUN_INSTALL=/usr/local).
if ! command -v bun >/dev/null 2>&1; then
  cloudc_fetch https://bun.sh/install /tmp/bun-install.sh
  BUN_INSTALL=/usr/local cloudc_retry bash /tmp/bun-install.sh
  rm -f /tmp/bun-install.sh
fi
bun --version
