#!/usr/bin/env bash
# Debian's podman and skopeo for the native builder's tests (test/native/): podman runs the
# images envforge assembles without a daemon, skopeo inspects them in the registry. Idempotent:
# a second run only checks that both answer. podman runs rootful here with the vfs driver and
# host networking (the machine has no bridge network), configured per call by the tests.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ci_start oci-tools oci-tools.log

versions() { podman --version 2>>"$LOG" && skopeo --version 2>>"$LOG"; }

if command -v podman >/dev/null && command -v skopeo >/dev/null && versions >>"$LOG"; then
  echo "oci-tools: $(versions | tr '\n' ' ')($(elapsed), already there)"
  exit 0
fi
apt_install podman skopeo || fail "apt-get install podman skopeo"
versions >>"$LOG" || fail "podman --version or skopeo --version does not run"
echo "oci-tools: $(versions | tr '\n' ' ')($(elapsed))"
