#!/usr/bin/env bash
# Debian's Chromium for the web UI's browser tests (test/web/), driven by playwright-core at
# /usr/bin/chromium (`npx playwright install` cannot download anything here). Idempotent: a
# second run only checks that it starts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ci_start chromium chromium.log

version() { /usr/bin/chromium --headless --no-sandbox --disable-gpu --version 2>>"$LOG"; }

if [ -x /usr/bin/chromium ] && version >>"$LOG"; then
  echo "chromium: $(version) ($(elapsed), already there)"
  exit 0
fi
apt_install chromium || fail "apt-get install chromium"
version >>"$LOG" || fail "/usr/bin/chromium --version does not run"
echo "chromium: $(version) ($(elapsed))"
