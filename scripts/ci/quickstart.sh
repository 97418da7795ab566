#!/usr/bin/env bash
# Runs the README's quick start as written: the first ```sh block after the marker
# `<!-- quick start: every line runs in CI -->` is taken line for line from README.md (so the two
# cannot drift) and run with bash -e in the repository, in a scratch ENVFORGE_HOME and HOME so an
# earlier run's workspace cannot turn "registered" into "unchanged". Then it checks what a reader
# is promised: version 1 locked, then unchanged, a build and a cache hit, and the job's output.
# Needs the engines (scripts/ci/engines.sh), `npm ci` and `npm link` (envforge on PATH).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/scripts/ci/lib.sh"
ci_start quickstart quickstart.log

MARKER='<!-- quick start: every line runs in CI -->'
script=$(awk -v marker="$MARKER" '
  $0 == marker { found = 1; next }
  found && /^```sh$/ { inside = 1; next }
  inside && /^```$/ { exit }
  inside { print }
' "$repo/README.md")
[ -n "$script" ] || fail "no \`\`\`sh block after \"$MARKER\" in README.md"
command -v envforge >/dev/null || fail "envforge is not on PATH: run npm link (the README's set-up does)"
# npm link points the global bin at one checkout; a stale link would test another tree's build.
case "$(readlink -f "$(command -v envforge)")" in
  "$repo"/*) ;;
  *) fail "envforge on PATH is $(readlink -f "$(command -v envforge)"), not this checkout's: run npm link here" ;;
esac

scratch=$(mktemp -d /var/tmp/envforge-quickstart.XXXXXX)
cleanup() {
  (cd "$repo" && npm run --silent local-sources -- --stop >>"$LOG" 2>&1) || true
  rm -rf "$scratch"
}
trap cleanup EXIT
printf '%s\n' "$script" >"$scratch/quickstart.sh"
echo "quickstart: $(grep -cv '^\s*\(#.*\)\?$' "$scratch/quickstart.sh") commands from README.md"

(
  cd "$repo"
  export HOME=$scratch/home ENVFORGE_HOME=$scratch/envforge ENVFORGE_CONFIG=$scratch/no-config.yaml
  mkdir -p "$HOME"
  bash -euo pipefail -x "$scratch/quickstart.sh"
) >>"$LOG" 2>&1 || fail "a quick start line failed (the last + line in the log)"

expect() {
  grep -qE "$1" "$LOG" || fail "the quick start never printed /$1/ ($2)"
}
expect '^registered hello version 1' "the first env create"
expect '^unchanged: hello version 1' "the second env create"
expect "^  locked linux-64: " "the lock at registration"
expect 'cache hit' "the second env build"
expect '^0\.38\.4$' "the job's output"
echo "quickstart: passed ($(elapsed)); the job printed $(grep -E '^0\.38\.4$' "$LOG" | head -n 1)"
