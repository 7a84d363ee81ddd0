# Shared helpers for the integration suites (sourced, not run).
# Counters are global so one summary line covers every suite.
PASSED=${PASSED:-0}
FAILED=${FAILED:-0}
FAILURES=${FAILURES:-}

ok()     { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); FAILURES="$FAILURES
  $*"; echo "not ok - $*"; }

# check NAME COMMAND...: passes when COMMAND exits 0.
check() { local name=$1; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name"; fi; }
# expect_eq NAME ACTUAL EXPECTED
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', expected '$3')"; fi; }
# expect_contains NAME HAYSTACK NEEDLE
expect_contains() { case "$2" in *"$3"*) ok "$1" ;; *) not_ok "$1 ('$3' not in '$(printf %s "$2" | head -c 300)')" ;; esac; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_port PORT: up to 10 s for a TCP listener.
wait_port() {
  local i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

ESTFCGI=${ESTFCGI:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.build/debug/estfcgi}

# httpd_conf_head DIR MODULE...: the first lines of a private Apache's httpd.conf (paths in
# DIR, run as www-data), loading the modules every EST config needs and then MODULE...
# (names as in mod_NAME.so); the caller appends its Listen and Include lines.
httpd_conf_head() {
  local dir=$1 m; shift
  cat <<CONF
ServerRoot $dir
ServerName localhost
PidFile $dir/httpd.pid
ErrorLog $dir/error.log
LogLevel warn
DefaultRuntimeDir $dir
User www-data
Group www-data
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so
LoadModule buffer_module /usr/lib/apache2/modules/mod_buffer.so
LoadModule reqtimeout_module /usr/lib/apache2/modules/mod_reqtimeout.so
TypesConfig /etc/mime.types
CONF
  for m in "$@"; do echo "LoadModule ${m}_module /usr/lib/apache2/modules/mod_$m.so"; done
}

# nginx_http_head DIR: the head of a private nginx's http {} block (paths in DIR); the
# caller adds its includes and servers and closes the block.
nginx_http_head() {
  cat <<CONF
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log info;
events { worker_connections 256; }
http {
    access_log $1/access.log;
    client_body_temp_path $1/tmp/body;
    fastcgi_temp_path $1/tmp/fastcgi;
    proxy_temp_path $1/tmp/proxy;
    uwsgi_temp_path $1/tmp/uwsgi;
    scgi_temp_path $1/tmp/scgi;
CONF
}
