/**
 * `envforge install`: a lock's conda packages into a new prefix. Fetch every package into the
 * shared cache (bounded pool, sha256 verified), read what each says about its files, plan every
 * target path (noarch python relocation, entry points, clobbers), link them into a staging
 * folder beside the prefix with the target prefix written into placeholders, write conda-meta/,
 * and rename the staging folder into place. A failure removes the staging folder, so the prefix
 * is either complete or absent. Link scripts are never run; `.pyc` files are not compiled (the
 * image build does it: docs/installer.md).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, posix, resolve } from "node:path";
import pLimit from "p-limit";
import {
  ConflictError,
  EnvforgeError,
  ExternalError,
  InternalError,
  ValidationError,
} from "../errors/index.js";
import type { LockContent, LockedCondaPackage } from "../definition/lock.js";
import type { Clobber } from "./clobbers.js";
import { historyText, prefixRecord, prefixRecordFileName, prefixRecordJson } from "./conda-meta.js";
import { distNameOf } from "./extract.js";
import { checkTargetPrefix, planInstall, pythonOf, selectPlatform } from "./install-plan.js";
import type { InstallPlan, LinkScript, Plan, Prepared } from "./install-plan.js";
import { describePackage, linkPackage, safeRelativePath } from "./link-package.js";
import type { DescribedPath, LinkedPath, LinkMode, LinkPackageOptions } from "./link-package.js";
import type { PackageCache } from "./package-cache.js";
import { readPackageFiles } from "./package-files.js";
import type { PackageFiles } from "./package-files.js";
import type { InstallEvent } from "./progress.js";

export interface InstallOptions {
  readonly lock: LockContent;
  /** Which platform of the lock; may be left out when the lock has one. */
  readonly platform?: string;
  /** The folder written: must not exist, or be empty. */
  readonly prefixDir: string;
  /**
   * The path the environment will have where it is used (e.g. `/opt/envforge/envs/<name>` in an
   * image), written into placeholders, shebangs and conda-meta. Default: `prefixDir`.
   */
  readonly targetPrefix?: string;
  readonly cache: PackageCache;
  /** Packages fetched at once; default 4. */
  readonly concurrency?: number;
  /** `copy` (default; the prefix owns its bytes) or `hardlink` from the cache. */
  readonly linkMode?: LinkMode;
  /** For conda-meta/history. */
  readonly now?: () => Date;
  /** Recorded in conda-meta/history as `# cmd:`. */
  readonly command?: string;
  readonly envforgeVersion?: string;
  readonly onEvent?: (event: InstallEvent) => void;
  /** Monotonic milliseconds for the timings; default performance.now. */
  readonly clock?: () => number;
  /** Aborting stops the downloads and the install; nothing is left at `prefixDir`. */
  readonly signal?: AbortSignal;
}

export type { LinkScript } from "./install-plan.js";

export interface InstalledPackage {
  readonly name: string;
  readonly version: string;
  readonly build: string;
  /** False when it came from the cache. */
  readonly fetched: boolean;
}

export interface InstallResult {
  readonly prefixDir: string;
  readonly targetPrefix: string;
  readonly platform: string;
  /** In link order. */
  readonly packages: readonly InstalledPackage[];
  /** `3.11` when the lock has python. */
  readonly python?: string;
  readonly clobbers: readonly Clobber[];
  readonly linkScripts: readonly LinkScript[];
  readonly warnings: readonly string[];
  readonly timings: { readonly fetchMs: number; readonly linkMs: number; readonly totalMs: number };
}

export async function installLock(options: InstallOptions): Promise<InstallResult> {
  const prefixDir = resolve(options.prefixDir);
  const targetPrefix = checkTargetPrefix(options.targetPrefix ?? prefixDir);
  const linkMode = options.linkMode ?? "copy";
  await refuseNonEmpty(prefixDir);
  const planned = await planLock({ ...options, targetPrefix });
  const { plan, warnings } = planned;
  const staging = join(
    dirname(prefixDir),
    `.${basename(prefixDir)}.envforge-${randomBytes(6).toString("hex")}`,
  );
  try {
    warnings.push(
      ...(await linkAll({ plan, staging, targetPrefix, linkMode, onEvent: options.onEvent })),
    );
    await writeFile(
      join(staging, "conda-meta", "history"),
      historyText({
        time: (options.now ?? (() => new Date()))(),
        packages: planned.packages,
        ...(options.command === undefined ? {} : { command: options.command }),
        ...(options.envforgeVersion === undefined ? {} : { version: options.envforgeVersion }),
      }),
    );
    await rmdir(prefixDir).catch(() => undefined);
    await rename(staging, prefixDir);
  } catch (error) {
    // The staging folder may never have been made (e.g. a file where its parent should be).
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    if (error instanceof EnvforgeError) throw error;
    throw new ExternalError(`cannot write the environment at ${prefixDir}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  return planned.result(prefixDir);
}

/** A lock's packages fetched and planned (installLock's first half), for a linker of its own. */
export interface PlannedLock {
  readonly plan: InstallPlan;
  /** The lock platform's conda packages. */
  readonly packages: readonly LockedCondaPackage[];
  /** Said so far; the caller adds its own. */
  readonly warnings: string[];
  /** The install's result once linked (timings measured up to this call). */
  result(prefixDir: string): InstallResult;
}

/**
 * Every package of the lock's platform fetched into the cache (sha256 verified) and every target
 * path planned: noarch python relocation, entry points, clobbers. Nothing is written.
 */
export async function planLock(
  options: Omit<InstallOptions, "prefixDir" | "targetPrefix"> & { readonly targetPrefix: string },
): Promise<PlannedLock> {
  const clock = options.clock ?? (() => performance.now());
  const started = clock();
  const platform = selectPlatform(options.lock, options.platform);
  const { targetPrefix } = options;
  const python = pythonOf(platform);
  const warnings: string[] = [];
  if (platform.pip.length > 0) {
    warnings.push(
      `the lock's ${platform.pip.length} pip packages are not installed here; the image's pip step installs them`,
    );
  }
  options.onEvent?.({ type: "stage", stage: "fetch" });
  const prepared = await fetchAll(platform.conda, options, warnings);
  const fetchedAt = clock();
  options.signal?.throwIfAborted();
  options.onEvent?.({ type: "stage", stage: "link" });
  const plan = planInstall(prepared, python, targetPrefix);
  warnings.push(...plan.warnings);
  return {
    plan,
    packages: platform.conda,
    warnings,
    result: (prefixDir) => {
      options.onEvent?.({ type: "stage", stage: "done" });
      const done = clock();
      return {
        prefixDir,
        targetPrefix,
        platform: platform.platform,
        packages: plan.plans.map(({ item }) => ({
          name: item.pkg.name,
          version: item.pkg.version,
          build: item.pkg.build,
          fetched: item.fetched,
        })),
        ...(python === undefined ? {} : { python: python.shortVersion }),
        clobbers: plan.clobbers,
        linkScripts: plan.linkScripts,
        warnings,
        timings: {
          fetchMs: fetchedAt - started,
          linkMs: done - fetchedAt,
          totalMs: done - started,
        },
      };
    },
  };
}

async function fetchAll(
  packages: readonly LockedCondaPackage[],
  options: Pick<InstallOptions, "cache" | "concurrency" | "onEvent" | "signal">,
  warnings: string[],
): Promise<Prepared[]> {
  const limit = pLimit(Math.max(1, options.concurrency ?? 4));
  const settled = await Promise.allSettled(
    packages.map((pkg) =>
      limit(async (): Promise<Prepared> => {
        const cached = await options.cache.get(pkg, options.onEvent, options.signal);
        const files = await readPackageFiles(cached.extractedDir, distNameOf(pkg.filename));
        checkIdentity(pkg, files);
        return {
          pkg,
          files,
          extractedDir: cached.extractedDir,
          fetched: cached.fetched,
          warnings: cached.warnings,
        };
      }),
    ),
  );
  const prepared: Prepared[] = [];
  for (const outcome of settled) {
    // The first failure in lock order, so the same broken lock always reports the same package.
    if (outcome.status === "rejected") throw outcome.reason;
  }
  for (const outcome of settled) {
    if (outcome.status === "fulfilled") {
      prepared.push(outcome.value);
      warnings.push(...outcome.value.warnings);
    }
  }
  return prepared;
}

function checkIdentity(pkg: LockedCondaPackage, files: PackageFiles): void {
  const { name, version, build } = files.index;
  if (name !== pkg.name || version !== pkg.version || build !== pkg.build) {
    throw ValidationError.single({
      key: "conda",
      message: `${pkg.filename}: the archive with the lock's sha256 is not the package the lock names`,
      found: `${name}-${version}-${build}`,
      allowed: `${pkg.name}-${pkg.version}-${pkg.build}`,
    });
  }
}

interface LinkAllInput {
  readonly plan: InstallPlan;
  readonly staging: string;
  readonly targetPrefix: string;
  readonly linkMode: LinkMode;
  readonly onEvent: InstallOptions["onEvent"];
}

/** Every package in link order into the staging folder, with its conda-meta record. */
async function linkAll(input: LinkAllInput): Promise<string[]> {
  const { plan, staging, targetPrefix, linkMode } = input;
  const warnings: string[] = [];
  await mkdir(join(staging, "conda-meta"), { recursive: true });
  const checkedDirs = new Set<string>();
  const reflink = {};
  for (const planned of plan.plans) {
    const { item, scripts } = planned;
    const renamed = plan.moved.get(item.pkg.name) ?? new Map<string, string>();
    const result = await linkPackage({
      ...linkInput(planned, renamed, targetPrefix),
      root: staging,
      linkMode,
      checkedDirs,
      reflink,
    });
    warnings.push(...result.warnings);
    const entryPoints = await writeEntryPoints(scripts, staging, renamed);
    const record = recordOf(planned, [...result.linked, ...entryPoints], targetPrefix, linkMode);
    await writeFile(join(staging, record.path), record.json);
    input.onEvent?.({ type: "linked", name: item.pkg.name });
  }
  return warnings;
}

/** One package as describePackage and an entry-point list would write it, written nowhere. */
export interface DescribedPackage {
  readonly pkg: LockedCondaPackage;
  readonly paths: readonly DescribedPath[];
  readonly entryPoints: readonly { readonly target: string; readonly text: string }[];
  /** `conda-meta/<dist>.json` and its text. */
  readonly record: { readonly path: string; readonly json: string };
  readonly warnings: readonly string[];
}

/**
 * What linkAll would write for each package of `plan`, in link order, read from the package
 * cache and written nowhere (the native builder streams it into layers).
 */
export async function describePlan(
  plan: InstallPlan,
  targetPrefix: string,
  linkMode: LinkMode,
  onEvent?: (event: InstallEvent) => void,
): Promise<DescribedPackage[]> {
  const described: DescribedPackage[] = [];
  for (const planned of plan.plans) {
    const renamed = plan.moved.get(planned.item.pkg.name) ?? new Map<string, string>();
    const result = await describePackage(linkInput(planned, renamed, targetPrefix));
    const entryPoints = planned.scripts.map((script) => ({
      target: entryPointTarget(script.target, renamed),
      text: script.text,
    }));
    const linked = entryPoints.map((script) => entryPointLinked(script.target, script.text));
    described.push({
      pkg: planned.item.pkg,
      paths: result.paths,
      entryPoints,
      record: recordOf(planned, [...result.linked, ...linked], targetPrefix, linkMode),
      warnings: result.warnings,
    });
    onEvent?.({ type: "linked", name: planned.item.pkg.name });
  }
  return described;
}

function linkInput(
  planned: Plan,
  renamed: ReadonlyMap<string, string>,
  targetPrefix: string,
): Pick<LinkPackageOptions, "sourceDir" | "targetPrefix" | "paths" | "label"> {
  return {
    sourceDir: planned.item.extractedDir,
    targetPrefix,
    paths: planned.paths.map((path) => ({
      ...path,
      target: renamed.get(path.target) ?? path.target,
    })),
    label: distNameOf(planned.item.pkg.filename),
  };
}

function recordOf(
  planned: Plan,
  linked: readonly LinkedPath[],
  targetPrefix: string,
  linkMode: LinkMode,
): { readonly path: string; readonly json: string } {
  const record = prefixRecord({
    pkg: planned.item.pkg,
    index: planned.item.files.index,
    linked,
    pkgsDir: posix.join(posix.dirname(posix.dirname(targetPrefix)), "pkgs"),
    linkMode,
  });
  return {
    path: join("conda-meta", prefixRecordFileName(planned.item.pkg)),
    json: prefixRecordJson(record),
  };
}

async function writeEntryPoints(
  scripts: Plan["scripts"],
  root: string,
  renamed: ReadonlyMap<string, string>,
): Promise<LinkedPath[]> {
  const linked: LinkedPath[] = [];
  for (const script of scripts) {
    const target = entryPointTarget(script.target, renamed);
    await mkdir(dirname(join(root, target)), { recursive: true });
    await writeFile(join(root, target), script.text, { flag: "wx", mode: 0o755 });
    linked.push(entryPointLinked(target, script.text));
  }
  return linked;
}

function entryPointTarget(planned: string, renamed: ReadonlyMap<string, string>): string {
  const target = safeRelativePath(renamed.get(planned) ?? planned);
  if (target === undefined)
    throw new InternalError(`entry point path ${planned} escapes the prefix`);
  return target;
}

function entryPointLinked(target: string, text: string): LinkedPath {
  return {
    path: target,
    pathType: "unix_python_entry_point",
    sha256: createHash("sha256").update(text).digest("hex"),
    size: Buffer.byteLength(text),
  };
}

async function refuseNonEmpty(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => undefined);
  if (entries !== undefined && entries.length > 0) {
    throw new ConflictError(
      `prefix ${dir} exists and is not empty; envforge install makes a new environment, so give a new or empty folder`,
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
