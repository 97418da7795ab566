/**
 * conda's explicit spec (`conda list --explicit`, `conda create --file`): `@EXPLICIT` followed by
 * one package URL per line with its hash in the fragment. envforge writes `#sha256:<hex>`, as
 * `conda list --explicit --sha256` does, and reads that, a bare 64-hex sha256, or an md5 (which
 * it cannot lock by, so such lines are reported).
 */
import { ProblemCollector, ValidationError } from "../errors/index.js";
import { stripUrlCredentials } from "../definition/definition-hash.js";
import { LOCK_VERSION } from "../definition/lock.js";
import type { Lock, LockContent, LockedCondaPackage, PlatformLock } from "../definition/lock.js";

/** The explicit spec of one platform of a lock. */
export function formatExplicitSpec(lock: LockContent, platform: string): string {
  const found = lock.platforms.find((p) => p.platform === platform);
  if (found === undefined) {
    throw ValidationError.single({
      key: "platform",
      message: "the lock has no such platform",
      found: platform,
      allowed: lock.platforms.map((p) => p.platform).join(", ") || "none",
    });
  }
  const lines = [
    "# This file may be used to create an environment using:",
    "# $ conda create --name <env> --file <this file>",
    `# platform: ${platform}`,
    lock.resolution === undefined
      ? `# envforge definition hash: ${lock.definitionHash ?? "unknown"}`
      : `# envforge resolution hash: ${lock.resolution.hash}`,
    "@EXPLICIT",
    ...[...found.conda]
      .sort((a, b) => compare(a.name, b.name) || compare(a.subdir, b.subdir))
      .map((p) => `${p.url}#sha256:${p.sha256}`),
  ];
  return `${lines.join("\n")}\n`;
}

export interface ImportExplicitSpecOptions {
  readonly text: string;
  /** For messages. */
  readonly file: string;
  /** Hash of the definition the imported lock stands for. */
  readonly definitionHash: string;
  /** Used when the file has no `# platform:` line. */
  readonly platform?: string;
}

/**
 * A lock from an explicit spec. The file names give name, version and build; an explicit spec
 * carries no dependencies, so `depends` stays empty.
 */
export function importExplicitSpec(options: ImportExplicitSpecOptions): Lock {
  const problems = new ProblemCollector();
  let platform = options.platform;
  let explicit = false;
  const packages: LockedCondaPackage[] = [];
  const channels: string[] = [];
  options.text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const at = { file: options.file, line: index + 1 };
    const platformLine = /^#\s*platform:\s*(\S+)/.exec(line);
    if (platformLine) platform ??= platformLine[1];
    if (line === "" || line.startsWith("#")) return;
    if (line === "@EXPLICIT") {
      explicit = true;
      return;
    }
    if (!explicit) {
      problems.add({
        ...at,
        message: "a package line before @EXPLICIT",
        found: JSON.stringify(line),
        allowed: "comments, then @EXPLICIT, then one package URL per line",
      });
      return;
    }
    const entry = explicitEntry(line);
    if ("message" in entry) {
      problems.add({ ...at, message: entry.message, found: JSON.stringify(line) });
      return;
    }
    packages.push(entry.pkg);
    if (!channels.includes(entry.channelUrl)) channels.push(entry.channelUrl);
  });
  if (!explicit) {
    problems.add({
      file: options.file,
      message: "not a conda explicit spec: no @EXPLICIT line",
      allowed: "a file written by `conda list --explicit` or `envforge lock --explicit`",
    });
  }
  if (platform === undefined) {
    problems.add({
      file: options.file,
      message: "the platform is not known: the file has no `# platform:` line",
      allowed: "a `# platform: linux-64` line, or pass the platform",
    });
  }
  problems.throwIfAny();
  const platformLock: PlatformLock = {
    platform: platform ?? "",
    virtualPackages: [],
    conda: packages.sort((a, b) => compare(a.name, b.name) || compare(a.subdir, b.subdir)),
    pip: [],
  };
  return {
    version: LOCK_VERSION,
    definitionHash: options.definitionHash,
    channels,
    platforms: [platformLock],
  };
}

type Entry = { readonly pkg: LockedCondaPackage; readonly channelUrl: string };

function explicitEntry(line: string): Entry | { readonly message: string } {
  const hashAt = line.indexOf("#");
  const url = hashAt < 0 ? line : line.slice(0, hashAt);
  const fragment = hashAt < 0 ? "" : line.slice(hashAt + 1).toLowerCase();
  if (!URL.canParse(url)) return { message: "not a package URL" };
  const sha256 = /^(?:sha256:)?([0-9a-f]{64})$/.exec(fragment)?.[1];
  if (sha256 === undefined) {
    return {
      message: /^(?:md5:)?[0-9a-f]{32}$/.test(fragment)
        ? "only an md5 is given; envforge locks packages by sha256 (add #sha256:<hex>)"
        : "no sha256 after the URL (expected <url>#sha256:<64 hex digits>)",
    };
  }
  return packageFromUrl(url, sha256);
}

/** `…/<channel>/<subdir>/<name>-<version>-<build>.(tar.bz2|conda)` → a locked package. */
export function packageFromUrl(url: string, sha256: string): Entry | { readonly message: string } {
  const clean = stripUrlCredentials(url);
  const parts = new URL(clean).pathname.split("/");
  const filename = decodeURIComponent(parts.pop() ?? "");
  const subdir = parts.pop() ?? "";
  const stem = /^(.+)-([^-]+)-([^-]+)\.(?:tar\.bz2|conda)$/.exec(filename);
  if (stem === null || subdir === "") {
    return { message: "not a conda package URL (…/<subdir>/<name>-<version>-<build>.conda)" };
  }
  const [, name = "", version = "", build = ""] = stem;
  const channelUrl = clean.slice(0, clean.lastIndexOf(`/${subdir}/`));
  return {
    channelUrl,
    pkg: {
      name,
      version,
      build,
      // conda build strings end in `_<build number>` by convention; 0 when they do not.
      buildNumber: Number(/_(\d+)$/.exec(build)?.[1] ?? (/^\d+$/.test(build) ? build : 0)),
      channel: channelUrl,
      subdir,
      filename,
      url: clean,
      sha256,
      depends: [],
      constrains: [],
    },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
