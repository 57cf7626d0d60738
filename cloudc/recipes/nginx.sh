# nginx on port 80: PHP apps through php-fpm (with the php recipe), else a proxy to the app port.
cloudc_install nginx
install -d /etc/nginx/conf.d
# This server is the default one: drop the distribution's default site (Debian) and the
# `default_server` flag of the server block in nginx.conf (some Red Hat-family builds).
rm -f /etc/nginx/sites-enabled/default
sed -i 's/ default_server;/;/' /etc/nginx/nginx.conf
if [ "${CLOUDC_PHP}" = 1 ]; then
  # The PHP-FPM socket: /run/php/php-fpm.sock (Debian, a link to the versioned one) or
  # /run/php-fpm/www.sock (Amazon Linux).
  if [ "${CLOUDC_OS}" = debian ]; then
    cloudc_fpm=unix:/run/php/php-fpm.sock
    for cloudc_sock in /run/php/php*-fpm.sock; do
      if [ -S "${cloudc_sock}" ]; then cloudc_fpm="unix:${cloudc_sock}"; fi
    done
  else
    cloudc_fpm=unix:/run/php-fpm/www.sock
  fi
  cat > /etc/nginx/conf.d/cloudc-app.conf <<NGINX
server {
    listen 80 default_server;
    server_name ${CLOUDC_DOMAIN:-_};
    root ${CLOUDC_APP_DIR}/public;
    index index.php index.html;
    client_max_body_size 64m;
    location / { try_files \$uri \$uri/ /index.php?\$query_string; }
    location ~ \.php\$ {
        include fastcgi_params;
        fastcgi_param SCRIPT_FILENAME \$realpath_root\$fastcgi_script_name;
        fastcgi_pass ${cloudc_fpm};
    }
    location ~ /\.(?!well-known) { deny all; }
}
NGINX
else
  cat > /etc/nginx/conf.d/cloudc-app.conf <<NGINX
server {
    listen 80 default_server;
    server_name ${CLOUDC_DOMAIN:-_};
    client_max_body_size 64m;
    location / {
        proxy_pass http://127.0.0.1:${CLOUDC_APP_PORT};
        proxy_http_version 1.1;
        proxy_set_header Host \$host;
        proxy_set_header X-Real-IP \$remote_addr;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$http_x_forwarded_proto;
        proxy_set_header Upgrade \$http_upgrade;
        proxy_set_header Connection "upgrade";
    }
}
NGINX
fi
nginx -t
systemctl enable nginx
systemctl restart nginx
