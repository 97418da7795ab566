#!/usr/bin/env bash
# The fresh-machine path, on every CI run: the engine scripts' cold branches only run where no
# cache, no base image and no registry content exist, so a warm machine (every developer's, and
# CI's when it reuses one) never executes them. This runs them for real, against scratch state:
#   - a scratch cache folder (no rootfs tarball, no wheels, no registry data),
#   - scratch registries on 127.0.0.1:5010 and 5011 with empty storage,
#   - registry.sh, base-image.sh (debootstrap, tar, import, push) and wheels.sh from scratch,
#   - the main job (`npm run seed-flow`) from a clone of this repository with no ../shared beside
#     it, against those registries: the python base image is built anew on the new base,
#   - base-image.sh once more, which must now take its warm branch.
# Then it stops its registries and removes its images and folders, whatever happened.
# Needs docker.sh to have started the engine and `npm ci` to have run in this checkout.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/scripts/ci/lib.sh"

scratch=$(mktemp -d /var/tmp/envforge-cold.XXXXXX)
export ENVFORGE_CI_CACHE=$scratch/cache
export ENVFORGE_CI_LOG_DIR=$scratch/log
export ENVFORGE_CI_REGISTRY=${ENVFORGE_COLD_REGISTRY:-127.0.0.1:5010}
export ENVFORGE_CI_AUTH_REGISTRY=${ENVFORGE_COLD_AUTH_REGISTRY:-127.0.0.1:5011}
ci_start cold-check cold-check.log
DOCKER=/usr/bin/docker

# Images tagged into the scratch registry's name space: made by this run only.
scratch_images() {
  "$DOCKER" image ls --format '{{.Repository}}:{{.Tag}} {{.ID}}' 2>/dev/null |
    awk -v prefix="$ENVFORGE_CI_REGISTRY/" 'index($1, prefix) == 1 { print $2 }' | sort -u
}

cleanup() {
  local status=$?
  for pidfile in "$ENVFORGE_CI_CACHE"/registry/pid "$ENVFORGE_CI_CACHE"/registry-auth/pid; do
    [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  for id in $(scratch_images); do "$DOCKER" image rm -f "$id" >/dev/null 2>&1 || true; done
  if [ "$status" -ne 0 ] && [ -d "$ENVFORGE_CI_LOG_DIR" ]; then
    for log in "$ENVFORGE_CI_LOG_DIR"/*.log; do
      [ -s "$log" ] && { echo "--- tail of $log" >&2; tail -n 20 "$log" >&2; }
    done
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

# Left by an interrupted earlier run, such an image would let base-image.sh skip its import.
for id in $(scratch_images); do "$DOCKER" image rm -f "$id" >/dev/null 2>&1 || true; done

for port in "$ENVFORGE_CI_REGISTRY" "$ENVFORGE_CI_AUTH_REGISTRY"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$port/v2/" || true)
  [ "$code" = 000 ] || fail "something already answers on $port (HTTP $code); the cold check needs it free"
done

echo "cold-check: scratch cache $ENVFORGE_CI_CACHE, registries $ENVFORGE_CI_REGISTRY and $ENVFORGE_CI_AUTH_REGISTRY"
bash "$repo/scripts/ci/registry.sh"
out=$(bash "$repo/scripts/ci/base-image.sh")
echo "$out"
case "$out" in
  *"made: debootstrap"*) ;;
  *) fail "base-image.sh did not take its cold branch (debootstrap) on an empty cache: $out" ;;
esac
bash "$repo/scripts/ci/wheels.sh"

# The main job as a new user runs it: a clone of this commit with no ../shared beside it.
clone=$scratch/clone/envforge
git clone -q "$repo" "$clone"
ln -s "$repo/node_modules" "$clone/node_modules"
[ ! -e "$clone/../shared" ] || fail "$clone/../shared exists; the clone must stand alone"
t_seed=$(date +%s%N)
(cd "$clone" && npm run --silent seed-flow) >"$ENVFORGE_CI_LOG_DIR/seed-flow.log" 2>&1 ||
  fail "npm run seed-flow failed in a clone with no ../shared" "$ENVFORGE_CI_LOG_DIR/seed-flow.log"
grep -q '^hello from /opt/envforge/env$' "$ENVFORGE_CI_LOG_DIR/seed-flow.log" ||
  fail "the seed flow ended without the job's output" "$ENVFORGE_CI_LOG_DIR/seed-flow.log"
echo "cold-check: seed flow in a standalone clone ended with the job's output ($(seconds_since "$t_seed")):"
sed -n '/^== done/,$p' "$ENVFORGE_CI_LOG_DIR/seed-flow.log"

out=$(bash "$repo/scripts/ci/base-image.sh")
case "$out" in
  *"(present,"*) ;;
  *) fail "base-image.sh did not find the image it had just pushed: $out" ;;
esac
echo "cold-check: passed ($(elapsed))"
