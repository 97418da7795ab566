#!/usr/bin/env bash
# Starts the two OCI registries the image tests talk to (Debian's docker-registry, plain HTTP on
# loopback, which the engine accepts without configuration):
#   127.0.0.1:5000  anonymous, delete enabled; the base image and test images live here
#   127.0.0.1:5001  htpasswd (bcrypt) auth, for the credential tests
# The auth registry's test user and password are made once and kept in $CREDENTIALS (mode 600),
# where the tests read them. Idempotent: a registry that already answers correctly is reused,
# whoever started it. Quiet on success (one line); on failure prints the tail of the logs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ci_start registry registry-setup.log

CACHE=${ENVFORGE_CI_CACHE:-/var/cache/envforge-ci}
PLAIN_ADDR=${ENVFORGE_CI_REGISTRY:-127.0.0.1:5000}
AUTH_ADDR=${ENVFORGE_CI_AUTH_REGISTRY:-127.0.0.1:5001}
AUTH_DIR=$CACHE/registry-auth
CREDENTIALS=$AUTH_DIR/credentials.json
WAIT_SECONDS=${ENVFORGE_CI_REGISTRY_WAIT:-30}
mkdir -p "$CACHE"

# Status of GET /v2/ on ADDR, with the test user's credentials when a second argument is given.
# The password goes to curl on stdin, never on its command line (visible to every process).
v2_status() {
  if [ $# -gt 1 ]; then
    printf 'user = "%s:%s"\n' "$2" "$3" |
      curl -s -o /dev/null -w '%{http_code}' --max-time 2 -K - "http://$1/v2/" || true
  else
    curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$1/v2/" || true
  fi
}

json_field() { sed -n "s/.*\"$2\": *\"\([^\"]*\)\".*/\1/p" "$1" | head -n 1; }

# start NAME ADDR CONFIG_EXTRA: writes DIR/config.yml and runs docker-registry in the background,
# its pid in DIR/pid (cold-check.sh stops its scratch registries by it).
start_registry() {
  local name=$1 addr=$2 extra=$3 dir=$CACHE/$1
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $addr
$extra
EOF
  setsid nohup /usr/bin/docker-registry serve "$dir/config.yml" >"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  echo $!
}

wait_for() {
  local addr=$1 want=$2 pid=$3 log=$4 deadline=$(($(date +%s) + WAIT_SECONDS))
  until [ "$(v2_status "$addr")" = "$want" ]; do
    kill -0 "$pid" 2>/dev/null || fail "docker-registry on $addr exited during start-up" "$log"
    [ "$(date +%s)" -lt "$deadline" ] ||
      fail "docker-registry on $addr did not answer GET /v2/ with $want within ${WAIT_SECONDS} s" "$log"
    sleep 0.1
  done
}

# openssl: the token-auth tests make a throw-away signing certificate with it.
if ! [ -x /usr/bin/docker-registry ] || ! command -v htpasswd >/dev/null || ! command -v openssl >/dev/null; then
  apt_install docker-registry apache2-utils openssl ||
    fail "apt-get install docker-registry apache2-utils openssl failed"
fi

# --- plain registry
case "$(v2_status "$PLAIN_ADDR")" in
  200) plain="reused" ;;
  000)
    pid=$(start_registry registry "$PLAIN_ADDR" "")
    wait_for "$PLAIN_ADDR" 200 "$pid" "$LOG_DIR/registry.log"
    plain="started" ;;
  *) fail "something on $PLAIN_ADDR answers GET /v2/ with $(v2_status "$PLAIN_ADDR"), not 200: not a plain registry" ;;
esac

# --- auth registry
# The password is 24 random bytes as hex, made once and kept across runs so a
# reused registry and the credentials file always agree.
if ! [ -s "$CREDENTIALS" ]; then
  mkdir -p "$AUTH_DIR"
  chmod 700 "$AUTH_DIR"
  user="envforge-test"
  password=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  (
    umask 077
    printf '%s' "$password" | htpasswd -B -i -c "$AUTH_DIR/htpasswd.tmp" "$user" >>"$LOG" 2>&1
    mv "$AUTH_DIR/htpasswd.tmp" "$AUTH_DIR/htpasswd"
    printf '{ "username": "%s", "password": "%s" }\n' "$user" "$password" >"$CREDENTIALS.tmp"
    mv "$CREDENTIALS.tmp" "$CREDENTIALS"
  ) || fail "could not write the test credentials in $AUTH_DIR"
fi
chmod 600 "$CREDENTIALS"
user=$(json_field "$CREDENTIALS" username)
password=$(json_field "$CREDENTIALS" password)

case "$(v2_status "$AUTH_ADDR")" in
  401)
    [ "$(v2_status "$AUTH_ADDR" "$user" "$password")" = 200 ] ||
      fail "the registry on $AUTH_ADDR does not accept the test user of $CREDENTIALS"
    auth="reused" ;;
  000)
    pid=$(start_registry registry-auth "$AUTH_ADDR" "auth:
  htpasswd:
    realm: envforge-test
    path: $AUTH_DIR/htpasswd")
    wait_for "$AUTH_ADDR" 401 "$pid" "$LOG_DIR/registry-auth.log"
    [ "$(v2_status "$AUTH_ADDR" "$user" "$password")" = 200 ] ||
      fail "the registry on $AUTH_ADDR refuses the test user it was started with" "$LOG_DIR/registry-auth.log"
    auth="started" ;;
  *) fail "something on $AUTH_ADDR answers GET /v2/ with $(v2_status "$AUTH_ADDR"), not 401: not an auth registry" ;;
esac

echo "registry: $PLAIN_ADDR ($plain), $AUTH_ADDR with auth ($auth), credentials in $CREDENTIALS ($(elapsed))"
