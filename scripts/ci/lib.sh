# Shared by the engine scripts (sourced, not run): one log per script under $LOG_DIR, a FAILED
# line with the log's tail, timings, and apt installs that wait for the dpkg lock.
# Use: `. "$(dirname "$0")/lib.sh"; ci_start NAME LOG_FILE_NAME`.
# The folders and addresses come from the environment, so cold-check.sh can run the same scripts
# against a scratch cache and scratch registries: ENVFORGE_CI_CACHE, ENVFORGE_CI_LOG_DIR,
# ENVFORGE_CI_REGISTRY (plain, 127.0.0.1:5000) and ENVFORGE_CI_AUTH_REGISTRY (127.0.0.1:5001).

LOG_DIR=${ENVFORGE_CI_LOG_DIR:-/var/log/envforge-ci}

ci_start() {
  CI_NAME=$1
  LOG=$LOG_DIR/$2
  mkdir -p "$LOG_DIR"
  : >"$LOG"
  t0=$(date +%s%N)
}

# fail MESSAGE [ANOTHER_LOG]: says what failed with the tail of the script's log (and the other).
fail() {
  echo "$CI_NAME: FAILED: $1" >&2
  for file in "$LOG" "${2:-}"; do
    [ -n "$file" ] && [ -s "$file" ] && { echo "--- tail of $file" >&2; tail -n 30 "$file" >&2; }
  done
  exit 1
}

seconds_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f s", (b - a) / 1e9 }'; }

elapsed() { seconds_since "$t0"; }

# step_done NAME: appends "NAME <seconds since the last step>" to the caller's timings array.
step_done() {
  timings+=("$1 $(seconds_since "${t_step:-$t0}")")
  t_step=$(date +%s%N)
}

apt_install() {
  # Another CI step may hold the dpkg lock: wait for it instead of failing. Stale package lists
  # are refreshed once, only when an install fails.
  local apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends)
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$@" >>"$LOG" 2>&1 && return 0
  apt-get -o DPkg::Lock::Timeout=600 -q update >>"$LOG" 2>&1 || return 1
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$@" >>"$LOG" 2>&1
}
