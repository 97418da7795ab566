/**
 * The interpreter and platform pip resolves for: the target image's, never the host's. The
 * python version comes from the conda lock (its `python` package), the glibc baseline from the
 * lock's virtual packages (`__glibc=2.28`, conda's default when none is given), the machine from
 * the conda subdir. From these come the wheel tags pip may choose, in pip's own flag form.
 */
import type { PlatformLock } from "../definition/lock.js";
import { ValidationError } from "../errors/index.js";

export interface PipTarget {
  /** Conda subdir, `linux-64` or `linux-aarch64`. */
  readonly platform: string;
  /** `major.minor`, e.g. `3.11`. */
  readonly pythonVersion: string;
  /** As the lock has it, e.g. `3.11.2` (markers compare `python_full_version`). */
  readonly pythonFullVersion: string;
  /** `major.minor` of the target's glibc, e.g. `2.28`. */
  readonly glibc: string;
}

/** The subdirs pip content can be resolved for, with their machine names in wheel tags. */
export const PIP_MACHINES: Readonly<Record<string, string>> = {
  "linux-64": "x86_64",
  "linux-aarch64": "aarch64",
};

/** conda's baseline when the lock names no `__glibc` (src/conda/virtual-packages.ts). */
export const DEFAULT_TARGET_GLIBC = "2.28";
/** The oldest glibc manylinux tags name (manylinux2014 = manylinux_2_17). */
const OLDEST_MANYLINUX_GLIBC = 17;

/**
 * The target of one platform of a conda lock, or why there is none: pip needs the python
 * version, and only the lock's `python` package says it.
 */
export function pipTargetOf(platform: PlatformLock): PipTarget | string {
  if (PIP_MACHINES[platform.platform] === undefined) {
    return `pip content is resolved for ${Object.keys(PIP_MACHINES).join(" and ")} only, not ${platform.platform}`;
  }
  const python = platform.conda.find((p) => p.name === "python");
  const version = /^(\d+)\.(\d+)/.exec(python?.version ?? "");
  if (version === null) {
    return `the conda lock of ${platform.platform} has no python package, so the target's python version is not known`;
  }
  const glibc = platform.virtualPackages
    .map((spec) => /^__glibc[=\s]+(\d+\.\d+)/.exec(spec)?.[1])
    .find((found) => found !== undefined);
  return {
    platform: platform.platform,
    pythonVersion: `${version[1]}.${version[2]}`,
    pythonFullVersion:
      /^\d+(\.\d+)*/.exec(python?.version ?? "")?.[0] ?? `${version[1]}.${version[2]}`,
    glibc: glibc ?? DEFAULT_TARGET_GLIBC,
  };
}

/** What the image's own interpreter says of itself (jobs/python-probe.ts reads it in the image). */
export interface InterpreterFacts {
  /** `sys.version_info`, e.g. `3.11.2`. */
  readonly version: string;
  /** `sys.implementation.name`, e.g. `cpython`. */
  readonly implementation: string;
  /** `os.confstr("CS_GNU_LIBC_VERSION")`, e.g. `glibc 2.36`; empty when the C library is not glibc. */
  readonly libc: string;
  /** `platform.machine()`, e.g. `x86_64`. */
  readonly machine: string;
}

/**
 * The target of pip requirements installed with the image's own interpreter (user-managed
 * Python): its version, and the glibc and machine of the image it runs in. A string says why
 * there is none: only CPython on glibc (manylinux wheels) of the definition's platform.
 */
export function pipTargetOfInterpreter(
  facts: InterpreterFacts,
  platform: string,
): PipTarget | string {
  const machine = PIP_MACHINES[platform];
  if (machine === undefined) {
    return `pip content is resolved for ${Object.keys(PIP_MACHINES).join(" and ")} only, not ${platform}`;
  }
  if (facts.implementation !== "cpython") {
    return `the interpreter is ${facts.implementation}, and pip content is resolved for CPython only`;
  }
  if (facts.machine !== machine) {
    return `the interpreter runs on ${facts.machine}, and the definition's platform ${platform} is ${machine}`;
  }
  const version = /^(\d+)\.(\d+)(\.\d+)?$/.exec(facts.version);
  if (version === null)
    return `the interpreter gave no usable version (${JSON.stringify(facts.version)})`;
  const glibc = /^glibc (\d+\.\d+)/.exec(facts.libc)?.[1];
  if (glibc === undefined) {
    return `the image's C library is not glibc (${JSON.stringify(facts.libc)}), and pip content is resolved for manylinux only`;
  }
  return {
    platform,
    pythonVersion: `${version[1]}.${version[2]}`,
    pythonFullVersion: facts.version,
    glibc,
  };
}

/**
 * pipTargetOfInterpreter, or the refusal of an image whose interpreter pip content cannot be
 * resolved for (a ValidationError naming `python.interpreter_path`, what it is and what fits).
 */
export function requireInterpreterTarget(
  facts: InterpreterFacts,
  where: { readonly platform: string; readonly interpreterPath: string; readonly image: string },
): PipTarget {
  const target = pipTargetOfInterpreter(facts, where.platform);
  if (typeof target !== "string") return target;
  throw ValidationError.single({
    key: "python.interpreter_path",
    message: `pip requirements cannot be resolved for the interpreter ${where.interpreterPath} of ${where.image}: ${target}`,
    found: `${facts.implementation} ${facts.version}, ${facts.libc || "no glibc"}, ${facts.machine}`,
    allowed: `CPython on glibc for ${where.platform}`,
  });
}

/** `manylinux_2_<glibc>_<machine>` down to manylinux_2_17, then the legacy aliases. */
export function platformTags(target: PipTarget): string[] {
  const machine = PIP_MACHINES[target.platform] ?? "x86_64";
  const minor = Number.parseInt(target.glibc.split(".")[1] ?? "0", 10);
  const tags: string[] = [];
  for (let m = minor; m >= OLDEST_MANYLINUX_GLIBC; m -= 1) tags.push(`manylinux_2_${m}_${machine}`);
  if (minor >= 17) tags.push(`manylinux2014_${machine}`);
  if (machine === "x86_64" && minor >= 12) tags.push("manylinux2010_x86_64");
  if (machine === "x86_64" && minor >= 5) tags.push("manylinux1_x86_64");
  return tags;
}

/** `cp311`, `abi3`, `none`: the ABIs a CPython of the target loads. */
export function abiTags(target: PipTarget): string[] {
  return [`cp${target.pythonVersion.replace(".", "")}`, "abi3", "none"];
}

/** The tags a wheel may carry for the target, shortest form, for messages. */
export function describeTags(target: PipTarget): string {
  const platforms = platformTags(target);
  const shown =
    platforms.length > 3
      ? `${platforms[0] ?? ""} … ${platforms[platforms.length - 1] ?? ""}`
      : platforms.join(", ");
  return `python ${target.pythonVersion} (cp${target.pythonVersion.replace(".", "")}, abi3, none; py3-none-any), platforms ${shown}`;
}

/** pip's flags that make it choose wheels for the target and nothing else. */
export function targetFlags(target: PipTarget): string[] {
  return [
    ...platformTags(target).flatMap((tag) => ["--platform", tag]),
    "--python-version",
    target.pythonVersion,
    "--implementation",
    "cp",
    ...abiTags(target).flatMap((abi) => ["--abi", abi]),
    "--only-binary=:all:",
  ];
}

/**
 * PEP 508 marker values of the target. pip evaluates markers with its own interpreter's values
 * whatever --python-version says, so these replace them (run-pip.ts); values no lock knows
 * (platform_release, platform_version) stay the host's.
 */
export function markerEnvironment(target: PipTarget): Readonly<Record<string, string>> {
  return {
    implementation_name: "cpython",
    implementation_version: target.pythonFullVersion,
    os_name: "posix",
    platform_machine: PIP_MACHINES[target.platform] ?? "x86_64",
    platform_python_implementation: "CPython",
    platform_system: "Linux",
    python_full_version: target.pythonFullVersion,
    python_version: target.pythonVersion,
    sys_platform: "linux",
  };
}
