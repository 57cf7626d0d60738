# Caddy as a reverse proxy to the app port; it gets its own certificate when TLS ends here.
if ! command -v caddy >/dev/null 2>&1; then
  # The official static build for this CPU (one path for apt and dnf distributions).
  cloudc_retry cloudc_fetch "https://caddyserver.com/api/download?os=linux&arch=${CLOUDC_ARCH}" /tmp/caddy
  install -m 0755 /tmp/caddy /usr/local/bin/caddy
  rm -f /tmp/caddy
fi
id -u caddy >/dev/null 2>&1 || useradd --system --home-dir /var/lib/caddy --create-home --shell /usr/sbin/nologin caddy
install -d -o caddy -g caddy /etc/caddy /var/lib/caddy
if [ -n "${CLOUDC_DOMAIN}" ] && [ "${CLOUDC_TLS_ON_INSTANCE}" = 1 ]; then
  cloudc_site="${CLOUDC_DOMAIN}"
else
  cloudc_site=":80"
fi
{
  if [ -n "${CLOUDC_EMAIL}" ]; then printf '{\n    email %s\n}\n' "${CLOUDC_EMAIL}"; fi
  cat <<CADDY
${cloudc_site} {
    encode gzip
    reverse_proxy 127.0.0.1:${CLOUDC_APP_PORT}
}
CADDY
} > /etc/caddy/Caddyfile
cat > /etc/systemd/system/caddy.service <<'UNIT'
[Unit]
Description=Caddy web server
After=network-online.target
Wants=network-online.target

[Service]
User=caddy
Group=caddy
ExecStart=/usr/local/bin/caddy run --environ --config /etc/caddy/Caddyfile
ExecReload=/usr/local/bin/caddy reload --config /etc/caddy/Caddyfile --force
Environment=XDG_DATA_HOME=/var/lib XDG_CONFIG_HOME=/etc
AmbientCapabilities=CAP_NET_BIND_SERVICE
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable caddy
systemctl restart caddy
caddy version
