#!/usr/bin/env bash
# Makes the Debian base image the builds start from and pushes it to the local registry, since
# no public image can be pulled here: debootstrap (minbase: envforge installs python itself)
# -> rootfs tarball kept in the cache -> docker import -> push. Needs docker.sh and registry.sh
# first. Idempotent and quick on a rerun: nothing is done when the registry has the tag, and
# debootstrap is skipped when the tarball is cached. Quiet on success (one line with timings).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ci_start base-image base-image.log

CACHE=${ENVFORGE_CI_CACHE:-/var/cache/envforge-ci}
REGISTRY=${ENVFORGE_CI_REGISTRY:-127.0.0.1:5000}
REPOSITORY=envforge/debian
TAG=bookworm
IMAGE=$REGISTRY/$REPOSITORY:$TAG
SUITE=bookworm
TARBALL=$CACHE/debian-$SUITE-minbase.tar
# The 20.10 client from docker.io; a newer one earlier on PATH may lack what 20.10 engines expect.
DOCKER=/usr/bin/docker
MANIFEST_TYPES="application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.v2+json,application/vnd.docker.distribution.manifest.list.v2+json"

mkdir -p "$CACHE"
t_step=$t0
timings=()

# Digest of the tag in the registry, empty when the registry does not have it.
registry_digest() {
  curl -sfI --max-time 5 -H "Accept: $MANIFEST_TYPES" \
    "http://$REGISTRY/v2/$REPOSITORY/manifests/$TAG" 2>/dev/null |
    tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *//p'
}

digest=$(registry_digest || true)
if [ -n "$digest" ]; then
  echo "base-image: $IMAGE@$digest (present, $(seconds_since "$t0"))"
  exit 0
fi

[ -x "$DOCKER" ] || fail "$DOCKER is missing: run scripts/ci/docker.sh first"
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$REGISTRY/v2/" || true)" = 200 ] ||
  fail "no registry answers on $REGISTRY: run scripts/ci/registry.sh first"

if ! [ -s "$TARBALL" ]; then
  command -v debootstrap >/dev/null || apt_install debootstrap || fail "apt-get install debootstrap failed"
  mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || fail "no Debian mirror in /etc/apt/sources.list.d/debian.sources"
  rootfs=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  # A debootstrap that fails half-way can leave /proc and /sys mounted in the rootfs.
  trap 'umount -R "$rootfs/proc" "$rootfs/sys" 2>/dev/null || true; rm -rf "$rootfs" "$TARBALL.tmp"' EXIT
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >>"$LOG" 2>&1 ||
    fail "debootstrap $SUITE from $mirror failed"
  step_done debootstrap
  # Sorted names and numeric owners: the same rootfs gives the same tar bytes.
  tar --sort=name --numeric-owner -C "$rootfs" -cf "$TARBALL.tmp" . >>"$LOG" 2>&1 ||
    fail "could not write $TARBALL"
  mv "$TARBALL.tmp" "$TARBALL"
  rm -rf "$rootfs"
  step_done tar
fi

if ! "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
  "$DOCKER" import "$TARBALL" "$IMAGE" >>"$LOG" 2>&1 || fail "docker import $TARBALL failed"
  step_done import
fi

"$DOCKER" push "$IMAGE" >>"$LOG" 2>&1 || fail "docker push $IMAGE failed"
step_done push

digest=$(registry_digest || true)
[ -n "$digest" ] || fail "the registry does not show $IMAGE after the push"
echo "base-image: $IMAGE@$digest (made: ${timings[*]}; total $(seconds_since "$t0"))"
