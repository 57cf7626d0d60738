# Environment for the app: /etc/cloudc/app.env (KEY='value' lines, for systemd, pm2 and shells).
install -d -m 0755 /etc/cloudc
install -m 0640 -o root -g app /dev/null /etc/cloudc/app.env.new
cat > /etc/cloudc/app.env.new <<'CLOUDC_ENV'
@ENVIRONMENT@
CLOUDC_ENV
mv -f /etc/cloudc/app.env.new /etc/cloudc/app.env
