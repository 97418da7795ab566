/**
 * Conda subdirs of Linux (the only OS envforge images run) and the Docker platforms whose
 * binaries they hold, so a builder can build for the definition's target (`--platform`).
 */
import { InternalError } from "../errors/index.js";

export const DOCKER_PLATFORMS: Readonly<Record<string, string>> = {
  "linux-64": "linux/amd64",
  "linux-aarch64": "linux/arm64",
  "linux-armv7l": "linux/arm/v7",
  "linux-ppc64le": "linux/ppc64le",
  "linux-s390x": "linux/s390x",
  "linux-32": "linux/386",
};

/** `linux-64` → `linux/amd64`. check-input.ts refuses other subdirs before this is called. */
export function dockerPlatformOf(platform: string): string {
  const docker = DOCKER_PLATFORMS[platform];
  if (docker === undefined)
    throw new InternalError(`no Docker platform for conda subdir ${platform}`);
  return docker;
}
