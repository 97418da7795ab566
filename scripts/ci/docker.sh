#!/usr/bin/env bash
# Starts the Docker engine the builder tests talk to: Debian's docker.io, without a bridge network
# because this kind of machine allows no private-range addresses. Idempotent: an engine that
# already answers on the socket is reused. Quiet on success (one line); on failure prints the
# tail of its log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ci_start docker docker-setup.log

SOCK=/var/run/docker.sock
PIDFILE=/var/run/docker.pid
DOCKERD_LOG=$LOG_DIR/dockerd.log
WAIT_SECONDS=${ENVFORGE_CI_DOCKER_WAIT:-60}

engine_answers() {
  curl -sf --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1
}

if engine_answers; then
  how="reused"
else
  if ! [ -x /usr/sbin/dockerd ]; then
    apt_install docker.io || fail "apt-get install docker.io failed"
  fi
  pid=$(cat "$PIDFILE" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    # An engine is still starting (or stuck): wait for it rather than start a second one.
    how="waited for pid $pid"
  else
    # A pid file left by an engine that died would stop the new one from starting.
    rm -f "$PIDFILE"
    # setsid: the engine must outlive this script and the shell that ran it.
    setsid nohup /usr/sbin/dockerd --bridge=none --iptables=false --ip-forward=false \
      >"$DOCKERD_LOG" 2>&1 </dev/null &
    pid=$!
    how="started pid $pid, log $DOCKERD_LOG"
  fi
  deadline=$(($(date +%s) + WAIT_SECONDS))
  until engine_answers; do
    kill -0 "$pid" 2>/dev/null || fail "dockerd exited during start-up" "$DOCKERD_LOG"
    [ "$(date +%s)" -lt "$deadline" ] ||
      fail "dockerd did not answer GET /_ping on $SOCK within ${WAIT_SECONDS} s" "$DOCKERD_LOG"
    sleep 0.2
  done
fi

# The tests and benches build many images; BuildKit keeps every layer they made. On a machine
# that runs CI again and again that cache filled the disk (68 GB) and a build failed with "no
# space left on device". Keep it bounded, newest first; the engine only drops what it can rebuild.
docker_bin=/usr/bin/docker
[ -x "$docker_bin" ] || docker_bin=$(command -v docker)
DOCKER_BUILDKIT=1 "$docker_bin" builder prune -f --keep-storage "${ENVFORGE_CI_BUILD_CACHE:-10GB}" >/dev/null ||
  echo "docker: could not prune the build cache (continuing)" >&2

version=$(curl -sf --max-time 5 --unix-socket "$SOCK" http://localhost/version |
  grep -o '"Version":"[^"]*"' | head -n 1 | cut -d '"' -f 4)
echo "docker: engine ${version:-?} on $SOCK ($how, $(elapsed))"
