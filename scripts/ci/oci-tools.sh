#!/usr/bin/env bash
# Debian's podman, skopeo and faketime for the native builder's tests (test/native/): podman
# runs the images envforge assembles without a daemon, skopeo inspects them in the registry, and
# faketime (libfaketime) runs one build of the reproducibility test under another clock.
# Idempotent: a second run only checks that all three answer. podman runs rootful here with the
# vfs driver and host networking (the machine has no bridge network), configured per call by the
# tests.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ci_start oci-tools oci-tools.log

# faketime has no --version: a date under a fixed clock shows it works.
versions() {
  podman --version 2>>"$LOG" && skopeo --version 2>>"$LOG" &&
    echo "faketime $(faketime '2031-01-01 00:00:00' date -u +%Y 2>>"$LOG")"
}
answers() { versions >>"$LOG" && [ "$(faketime '2031-01-01 00:00:00' date -u +%Y)" = 2031 ]; }

if command -v podman >/dev/null && command -v skopeo >/dev/null && command -v faketime >/dev/null &&
  answers 2>>"$LOG"; then
  echo "oci-tools: $(versions | tr '\n' ' ')($(elapsed), already there)"
  exit 0
fi
apt_install podman skopeo faketime || fail "apt-get install podman skopeo faketime"
answers 2>>"$LOG" || fail "podman --version, skopeo --version or faketime date does not run"
echo "oci-tools: $(versions | tr '\n' ' ')($(elapsed))"
