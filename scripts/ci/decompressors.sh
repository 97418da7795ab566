#!/usr/bin/env bash
# Debian's bzip2 and lbzip2 for the package cache (src/conda/package-cache.ts): `.tar.bz2`
# packages are decompressed by lbzip2 (every core) when it is there, else bzip2, else the slower
# JavaScript decoder; the tests run each. Idempotent: a second run only checks both answer.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ci_start decompressors decompressors.log

# Both print their version on stderr; the first line names it.
versions() {
  echo "bzip2 $(bzip2 --version 2>&1 </dev/null | head -n 1 | sed 's/.*Version \([0-9.]*\).*/\1/'); $(lbzip2 --version 2>&1 | head -n 1)"
}
answers() { printf 'x' | bzip2 -c | lbzip2 -dc | grep -qx x; }

if command -v bzip2 >/dev/null && command -v lbzip2 >/dev/null && answers 2>>"$LOG"; then
  echo "decompressors: $(versions) ($(elapsed), already there)"
  exit 0
fi
apt_install bzip2 lbzip2 || fail "apt-get install bzip2 lbzip2"
answers 2>>"$LOG" || fail "bzip2 -c | lbzip2 -dc does not give back what went in"
echo "decompressors: $(versions) ($(elapsed))"
