#!/usr/bin/env bash
# Real wheels for the pip tests, from Debian's packages (no PyPI here): python3-wheel-whl,
# python3-pip-whl and python3-setuptools-whl ship wheel 0.38.4, pip 23.0.1 and setuptools
# 66.1.1 under usr/share/python-wheels/. They are unpacked once into $CACHE/wheels, which
# test/support/pip-index.ts serves as a PEP 503 index. Idempotent: a second run only checks.
set -euo pipefail

CACHE=${ENVFORGE_CI_CACHE:-/var/cache/envforge-ci}
WHEELS=$CACHE/wheels
PACKAGES="python3-wheel-whl python3-pip-whl python3-setuptools-whl"

if ls "$WHEELS"/wheel-*.whl >/dev/null 2>&1; then
  echo "wheels: $(ls "$WHEELS" | wc -l) wheels in $WHEELS (cached)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download $PACKAGES >download.log 2>&1; then
  apt-get update >>download.log 2>&1
  apt-get download $PACKAGES >>download.log 2>&1 || {
    echo "wheels: FAILED: apt-get download $PACKAGES" >&2
    tail -n 20 download.log >&2
    exit 1
  }
fi
for deb in ./*.deb; do dpkg -x "$deb" root; done
mkdir -p "$WHEELS.tmp"
cp root/usr/share/python-wheels/*.whl "$WHEELS.tmp/"
rm -rf "$WHEELS"
mv "$WHEELS.tmp" "$WHEELS"
echo "wheels: $(ls "$WHEELS" | tr '\n' ' ')in $WHEELS"
