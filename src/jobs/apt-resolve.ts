/**
 * apt packages → exact versions, resolved in the base image itself: a throwaway container of
 * the (pinned) base runs `apt-get update` and `apt-get install --dry-run` with the host's
 * network, so the answer is what that image's apt sources give today, including everything the
 * packages pull in. The lock keeps the answer; the recipe then installs exactly `name=version`.
 */
import { ExternalError, ValidationError } from "../errors/index.js";
import { APT_NAME_PATTERN, APT_VERSION_PATTERN } from "../definition/lock.js";
import type { LockedAptPackage } from "../definition/lock.js";
import { runForOutput } from "./job-runner.js";
import type { JobRunner } from "./job-runner.js";

export interface ResolveAptOptions {
  /** The base image, by digest when it is pinned. */
  readonly image: string;
  /** Package names as the definition gives them. */
  readonly packages: readonly string[];
  readonly runner: JobRunner;
  readonly signal?: AbortSignal;
}

// Printed between the parts of the script's output, so each part is read on its own.
const MARK = "--envforge-apt--";

/**
 * Every package `apt-get install` would install, with its version, sorted by name. A package
 * the image's sources do not have is a ValidationError naming it; a failed `apt-get update` or
 * an engine that cannot run the container is an ExternalError.
 */
export async function resolveApt(options: ResolveAptOptions): Promise<LockedAptPackage[]> {
  const names = [...new Set(options.packages)].sort();
  if (names.length === 0) return [];
  const quoted = names.map((name) => `'${name}'`).join(" ");
  // Names are checked by the definition's apt rule (no quotes, no spaces) before they get here.
  const script = [
    "export DEBIAN_FRONTEND=noninteractive",
    `apt-get update -qq >/dev/null 2>&1 || { echo 'E: apt-get update failed'; exit 3; }`,
    `echo '${MARK}'`,
    `apt-get install --dry-run -y --no-install-recommends ${quoted} 2>&1 || exit 4`,
    `echo '${MARK}'`,
    `dpkg-query -W -f='\${Package} \${Version}\\n' ${quoted} 2>/dev/null || true`,
  ].join("\n");
  const { result, output } = await runForOutput(options.runner, {
    image: options.image,
    command: ["sh", "-c", script],
    network: "host",
    purpose: "apt-resolve",
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (result.exitCode === 3) {
    throw new ExternalError(
      `apt: \`apt-get update\` failed in ${options.image}; its apt sources could not be reached`,
    );
  }
  if (result.exitCode === 4) throw aptRefusal(output, options.image, names);
  if (result.exitCode !== 0) {
    throw new ExternalError(
      `apt: resolving ${names.join(", ")} in ${options.image} exited ${result.exitCode}: ${lastLines(output)}`,
    );
  }
  return parseAptResolution(output, names);
}

/** The script's output → packages: `Inst` lines of the dry run, then those already installed. */
export function parseAptResolution(
  output: string,
  requested: readonly string[],
): LockedAptPackage[] {
  const [, dryRun = "", installed = ""] = output.split(`${MARK}\n`);
  const found = new Map<string, string>();
  for (const line of dryRun.split("\n")) {
    // `Inst hello (2.10-3 Debian:12.5/stable [amd64])`, `Inst libc6 [2.36-8] (2.36-9 …)`
    const inst = /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) /.exec(line);
    const name = inst?.[1]?.replace(/:[a-z0-9]+$/, "");
    if (name !== undefined && inst?.[2] !== undefined) pin(found, name, inst[2]);
  }
  for (const line of installed.split("\n")) {
    const [name, version] = line.trim().split(" ");
    // A requested package the base already has is pinned at the version it has.
    if (name && version && requested.includes(name) && !found.has(name)) {
      pin(found, name, version);
    }
  }
  return [...found.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, version]) => ({ name, version }));
}

function pin(found: Map<string, string>, name: string, version: string): void {
  // What apt printed goes into a RUN line later: only what Debian's rules allow.
  if (!APT_NAME_PATTERN.test(name) || !APT_VERSION_PATTERN.test(version)) {
    throw new ExternalError(
      `apt: unexpected package or version in apt's answer: ${name} ${version}`,
    );
  }
  found.set(name, version);
}

function aptRefusal(output: string, image: string, names: readonly string[]): Error {
  const missing = [...output.matchAll(/^E: Unable to locate package (\S+)$/gm)].map((m) => m[1]);
  if (missing.length > 0) {
    return new ValidationError(
      missing.map((name) => ({
        key: "apt",
        message: `apt package "${name}" is not in the apt sources of the base image ${image}`,
        found: name ?? "",
        allowed: "a package its `apt-cache policy` lists",
      })),
    );
  }
  const errors = output.split("\n").filter((line) => line.startsWith("E: "));
  return ValidationError.single({
    key: "apt",
    message: `apt cannot install ${names.join(", ")} in the base image ${image}: ${errors.join("; ") || lastLines(output)}`,
  });
}

function lastLines(output: string): string {
  return output.trim().split("\n").slice(-3).join(" / ");
}
