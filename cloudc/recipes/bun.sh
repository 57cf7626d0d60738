# Bun, installed for every user under /usr/local.
if ! command -v bun >/dev/null 2>&1; then
  curl -fsSL https://bun.sh/install | BUN_INSTALL=/usr/local bash
fi
bun --version
