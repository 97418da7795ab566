/**
 * Virtual packages (`__glibc`, `__linux`, `__unix`, `__archspec`, `__cuda`, …) describe the
 * system an environment will run on. envforge solves for the *target image*, never the machine
 * that runs the solve, so they come from the definition and documented defaults, not detection.
 * A definition changes them with conda's own override variables (`CONDA_OVERRIDE_CUDA=12.1`,
 * `CONDA_OVERRIDE_GLIBC=2.36`), set in its `variables` (envforge.yaml) or the conda file's.
 */
import { ProblemCollector } from "../errors/index.js";

export interface VirtualPackage {
  /** With the leading `__`. */
  readonly name: string;
  readonly version: string;
  readonly build: string;
}

/** What the target system offers; absent fields take the defaults below. */
export interface TargetSystem {
  readonly glibc?: string;
  readonly linux?: string;
  readonly osx?: string;
  /** CUDA driver version; no `__cuda` at all unless given. */
  readonly cuda?: string;
  /** Micro-architecture name, e.g. `x86_64`; default the platform's generic one. */
  readonly archspec?: string;
}

/**
 * Defaults: glibc 2.28 and Linux 4.18 (the RHEL/Alma 8 baseline most conda builds target, so a
 * lock made here also installs on older hosts than Debian bookworm's glibc 2.36), macOS 11.0.
 */
export const DEFAULT_TARGET: Required<Omit<TargetSystem, "cuda" | "archspec">> = {
  glibc: "2.28",
  linux: "4.18",
  osx: "11.0",
};

/** conda's override variables, read from a definition's variables. */
const OVERRIDES = {
  CONDA_OVERRIDE_GLIBC: "glibc",
  CONDA_OVERRIDE_LINUX: "linux",
  CONDA_OVERRIDE_OSX: "osx",
  CONDA_OVERRIDE_CUDA: "cuda",
  CONDA_OVERRIDE_ARCHSPEC: "archspec",
} as const satisfies Record<string, keyof TargetSystem>;

const ARCH: Readonly<Record<string, string>> = {
  "64": "x86_64",
  "32": "x86",
  aarch64: "aarch64",
  arm64: "arm64",
  ppc64le: "ppc64le",
  s390x: "s390x",
  armv7l: "armv7l",
};

const VERSION = /^[0-9]+(\.[0-9]+)*$/;

/**
 * The target system a definition's variables ask for. Later records win, so pass the conda
 * file's variables first and envforge.yaml's after. An empty `CONDA_OVERRIDE_CUDA` means no
 * CUDA, as in conda.
 */
export function targetFromVariables(
  ...records: readonly Readonly<Record<string, string>>[]
): TargetSystem {
  const problems = new ProblemCollector();
  const target: { -readonly [K in keyof TargetSystem]: string } = {};
  for (const variables of records) {
    for (const [variable, field] of Object.entries(OVERRIDES)) {
      const value = variables[variable]?.trim();
      if (value === undefined) continue;
      if (value === "") {
        delete target[field];
        continue;
      }
      const valid = field === "archspec" ? /^[A-Za-z0-9_]+$/.test(value) : VERSION.test(value);
      if (!valid) {
        problems.add({
          key: `variables.${variable}`,
          message: `${variable} is not a ${field === "archspec" ? "micro-architecture name" : "version"}`,
          found: JSON.stringify(value),
          allowed: field === "archspec" ? "a name such as x86_64" : "a version such as 12.1",
        });
        continue;
      }
      target[field] = value;
    }
  }
  problems.throwIfAny();
  return target;
}

/** The virtual packages of a target platform, sorted by name. */
export function targetVirtualPackages(
  platform: string,
  target: TargetSystem = {},
): readonly VirtualPackage[] {
  const [os, arch = ""] = splitPlatform(platform);
  const packages: VirtualPackage[] = [];
  const add = (name: string, version: string, build = "0") =>
    packages.push({ name, version, build });
  const archspec = target.archspec ?? ARCH[arch];
  if (archspec !== undefined) add("__archspec", "1", archspec);
  if (os === "linux") {
    add("__glibc", target.glibc ?? DEFAULT_TARGET.glibc);
    add("__linux", target.linux ?? DEFAULT_TARGET.linux);
  }
  if (os === "osx") add("__osx", target.osx ?? DEFAULT_TARGET.osx);
  if (os === "linux" || os === "osx") add("__unix", "0");
  if (os === "win") add("__win", "0");
  if (target.cuda !== undefined && os !== "osx") add("__cuda", target.cuda);
  return packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `__glibc=2.28=0`: the form the lock records. */
export function formatVirtualPackage(pkg: VirtualPackage): string {
  return `${pkg.name}=${pkg.version}=${pkg.build}`;
}

export function isVirtualPackageName(name: string): boolean {
  return name.startsWith("__");
}

function splitPlatform(platform: string): [string, string?] {
  const at = platform.indexOf("-");
  return at < 0 ? [platform] : [platform.slice(0, at), platform.slice(at + 1)];
}
