#!/usr/bin/env bash
# Installs and starts the engines the integration tests talk to. Idempotent: a second run on the
# same machine only checks that each engine answers.
set -euo pipefail
bash "$(dirname "$0")/postgres.sh"
bash "$(dirname "$0")/docker.sh"
bash "$(dirname "$0")/registry.sh"
bash "$(dirname "$0")/base-image.sh"
bash "$(dirname "$0")/wheels.sh"
bash "$(dirname "$0")/python-pip.sh"
bash "$(dirname "$0")/chromium.sh"
bash "$(dirname "$0")/oci-tools.sh"
bash "$(dirname "$0")/decompressors.sh"
