#!/usr/bin/env bash
# Debian's python3 and pip on the host: envforge resolves pip requirements with pip's own resolver
# (`/usr/bin/python3 -m pip install --dry-run --report`, src/pip/run-pip.ts). Idempotent: a
# second run only checks that pip answers.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ci_start python-pip python-pip.log

if /usr/bin/python3 -m pip --version >>"$LOG" 2>&1; then
  echo "python-pip: $(/usr/bin/python3 -m pip --version | cut -d' ' -f1-2) ($(elapsed), already there)"
  exit 0
fi
apt_install python3 python3-pip || fail "apt-get install python3 python3-pip"
/usr/bin/python3 -m pip --version >>"$LOG" 2>&1 || fail "/usr/bin/python3 -m pip does not run"
echo "python-pip: $(/usr/bin/python3 -m pip --version | cut -d' ' -f1-2) ($(elapsed))"
