#!/usr/bin/env bash
# Installs and starts the engines the integration tests talk to. Idempotent: a second run on the
# same machine only checks that each engine answers.
set -euo pipefail
echo "no engines needed yet"
bash "$(dirname "$0")/postgres.sh"
