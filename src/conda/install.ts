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
import { basename, dirname, isAbsolute, join, posix, resolve } from "node:path";
import pLimit from "p-limit";
import { ConflictError, InternalError, ValidationError } from "../errors/index.js";
import type { Lock, LockedCondaPackage, PlatformLock } from "../spec/lock.js";
import { CLOBBERS_DIR, resolveClobbers } from "./clobbers.js";
import type { Clobber } from "./clobbers.js";
import { historyText, prefixRecord, prefixRecordFileName, prefixRecordJson } from "./conda-meta.js";
import { entryPointScript, parseEntryPoint } from "./entry-points.js";
import { distNameOf } from "./extract.js";
import { installOrder } from "./install-order.js";
import { linkPackage, safeRelativePath } from "./link-package.js";
import type { LinkedPath, LinkMode, PlannedPath } from "./link-package.js";
import { noarchPythonTargetPath, pythonInfoOf } from "./noarch-python.js";
import type { PythonInfo } from "./noarch-python.js";
import type { PackageCache } from "./package-cache.js";
import { readPackageFiles } from "./package-files.js";
import type { PackageFiles } from "./package-files.js";
import type { InstallEvent } from "./progress.js";

export interface InstallOptions {
  readonly lock: Lock;
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
}

export interface LinkScript {
  readonly package: string;
  readonly path: string;
  readonly kind: "pre-link" | "post-link" | "pre-unlink";
}

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

interface Prepared {
  readonly pkg: LockedCondaPackage;
  readonly files: PackageFiles;
  readonly extractedDir: string;
  readonly fetched: boolean;
  readonly warnings: readonly string[];
}

export async function installLock(options: InstallOptions): Promise<InstallResult> {
  const clock = options.clock ?? (() => performance.now());
  const started = clock();
  const platform = selectPlatform(options.lock, options.platform);
  const prefixDir = resolve(options.prefixDir);
  const targetPrefix = checkTargetPrefix(options.targetPrefix ?? prefixDir);
  const linkMode = options.linkMode ?? "copy";
  await refuseNonEmpty(prefixDir);
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

  options.onEvent?.({ type: "stage", stage: "link" });
  const ordered = installOrder(
    prepared.map((item) => ({ ...item, name: item.pkg.name, depends: item.pkg.depends })),
  );
  const plans = ordered.map((item) => planPackage(item, python, targetPrefix));
  const { moved, clobbers } = resolveClobbers(
    plans.map((plan) => ({
      name: plan.item.pkg.name,
      paths: [
        ...plan.paths
          .filter((path) => path.entry.pathType !== "directory")
          .map((path) => path.target),
        ...plan.scripts.map((script) => script.target),
      ],
    })),
  );
  for (const clobber of clobbers) {
    warnings.push(
      `${clobber.path}: written by ${[clobber.winner, ...clobber.losers].join(", ")}; kept from ${clobber.winner}, the others moved to ${CLOBBERS_DIR}/<package>/${clobber.path}`,
    );
  }
  const linkScripts = plans.flatMap((plan) => linkScriptsOf(plan.item));
  for (const script of linkScripts) {
    if (script.kind === "pre-unlink") continue;
    warnings.push(
      `${script.package}: ${script.kind} script ${script.path} was not run (envforge never runs link scripts)`,
    );
  }

  const staging = join(
    dirname(prefixDir),
    `.${basename(prefixDir)}.envforge-${randomBytes(6).toString("hex")}`,
  );
  try {
    await mkdir(join(staging, "conda-meta"), { recursive: true });
    const checkedDirs = new Set<string>();
    const reflink = {};
    for (const plan of plans) {
      const renamed = moved.get(plan.item.pkg.name) ?? new Map<string, string>();
      const label = distNameOf(plan.item.pkg.filename);
      const result = await linkPackage({
        sourceDir: plan.item.extractedDir,
        root: staging,
        targetPrefix,
        paths: plan.paths.map((path) => ({
          ...path,
          target: renamed.get(path.target) ?? path.target,
        })),
        label,
        linkMode,
        checkedDirs,
        reflink,
      });
      warnings.push(...result.warnings);
      const scripts = await writeEntryPoints(plan, staging, renamed);
      const record = prefixRecord({
        pkg: plan.item.pkg,
        index: plan.item.files.index,
        linked: [...result.linked, ...scripts],
        pkgsDir: posix.join(posix.dirname(posix.dirname(targetPrefix)), "pkgs"),
        linkMode,
      });
      await writeFile(
        join(staging, "conda-meta", prefixRecordFileName(plan.item.pkg)),
        prefixRecordJson(record),
      );
      options.onEvent?.({ type: "linked", name: plan.item.pkg.name });
    }
    await writeFile(
      join(staging, "conda-meta", "history"),
      historyText({
        time: (options.now ?? (() => new Date()))(),
        packages: platform.conda,
        ...(options.command === undefined ? {} : { command: options.command }),
        ...(options.envforgeVersion === undefined ? {} : { version: options.envforgeVersion }),
      }),
    );
    await rmdir(prefixDir).catch(() => undefined);
    await rename(staging, prefixDir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  options.onEvent?.({ type: "stage", stage: "done" });
  const done = clock();
  return {
    prefixDir,
    targetPrefix,
    platform: platform.platform,
    packages: plans.map((plan) => ({
      name: plan.item.pkg.name,
      version: plan.item.pkg.version,
      build: plan.item.pkg.build,
      fetched: plan.item.fetched,
    })),
    ...(python === undefined ? {} : { python: python.shortVersion }),
    clobbers,
    linkScripts,
    warnings,
    timings: { fetchMs: fetchedAt - started, linkMs: done - fetchedAt, totalMs: done - started },
  };
}

async function fetchAll(
  packages: readonly LockedCondaPackage[],
  options: InstallOptions,
  warnings: string[],
): Promise<Prepared[]> {
  const limit = pLimit(Math.max(1, options.concurrency ?? 4));
  const settled = await Promise.allSettled(
    packages.map((pkg) =>
      limit(async (): Promise<Prepared> => {
        const cached = await options.cache.get(pkg, options.onEvent);
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
    throw new ConflictError(
      `${pkg.filename}: the archive is ${name}-${version}-${build}, not the ${pkg.name}-${pkg.version}-${pkg.build} the lock names`,
    );
  }
}

interface Plan {
  readonly item: Prepared;
  readonly paths: readonly PlannedPath[];
  readonly scripts: readonly { readonly target: string; readonly text: string }[];
}

function planPackage(item: Prepared, python: PythonInfo | undefined, targetPrefix: string): Plan {
  const label = distNameOf(item.pkg.filename);
  const isNoarchPython = (item.pkg.noarch ?? item.files.index.noarch) === "python";
  if (isNoarchPython && python === undefined) {
    throw ValidationError.single({
      key: "conda",
      message: `${label} is a noarch: python package, but the lock has no python package to install it for`,
      found: label,
      allowed: "a lock that includes python",
    });
  }
  const paths = item.files.paths.map((entry) => ({
    entry,
    target:
      isNoarchPython && python !== undefined
        ? noarchPythonTargetPath(entry.path, python)
        : entry.path,
  }));
  const scripts =
    isNoarchPython && python !== undefined
      ? item.files.entryPoints.map((text) => {
          const entryPoint = parseEntryPoint(text, label);
          return {
            target: `${python.binDir}/${entryPoint.command}`,
            text: entryPointScript({ entryPoint, targetPrefix, python }),
          };
        })
      : [];
  return { item, paths, scripts };
}

async function writeEntryPoints(
  plan: Plan,
  root: string,
  renamed: ReadonlyMap<string, string>,
): Promise<LinkedPath[]> {
  const linked: LinkedPath[] = [];
  for (const script of plan.scripts) {
    const target = safeRelativePath(renamed.get(script.target) ?? script.target);
    if (target === undefined)
      throw new InternalError(`entry point path ${script.target} escapes the prefix`);
    await mkdir(dirname(join(root, target)), { recursive: true });
    await writeFile(join(root, target), script.text, { flag: "wx", mode: 0o755 });
    linked.push({
      path: target,
      pathType: "hardlink",
      sha256: createHash("sha256").update(script.text).digest("hex"),
      size: Buffer.byteLength(script.text),
    });
  }
  return linked;
}

function linkScriptsOf(item: Prepared): LinkScript[] {
  const name = item.pkg.name;
  const kinds = ["pre-link", "post-link", "pre-unlink"] as const;
  return kinds
    .map((kind) => ({ package: name, kind, path: `bin/.${name}-${kind}.sh` }))
    .filter((script) => item.files.paths.some((entry) => entry.path === script.path));
}

function selectPlatform(lock: Lock, wanted: string | undefined): PlatformLock {
  const names = lock.platforms.map((platform) => platform.platform);
  const found =
    wanted === undefined
      ? lock.platforms.length === 1
        ? lock.platforms[0]
        : undefined
      : lock.platforms.find((platform) => platform.platform === wanted);
  if (found === undefined) {
    throw ValidationError.single({
      key: "platform",
      message:
        wanted === undefined
          ? "the lock has several platforms; say which one to install"
          : "the lock has no such platform",
      ...(wanted === undefined ? {} : { found: wanted }),
      allowed: names.join(", ") || "(the lock has no platforms)",
    });
  }
  return found;
}

function checkTargetPrefix(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  if (
    !isAbsolute(trimmed) ||
    !trimmed.startsWith("/") ||
    /[\n\r\0]/.test(trimmed) ||
    trimmed === "/"
  ) {
    throw ValidationError.single({
      key: "target-prefix",
      message: "the target prefix must be an absolute POSIX path, not /",
      found: JSON.stringify(path),
      allowed: "e.g. /opt/envforge/envs/myenv",
    });
  }
  return posix.normalize(trimmed);
}

async function refuseNonEmpty(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => undefined);
  if (entries !== undefined && entries.length > 0) {
    throw new ConflictError(
      `prefix ${dir} exists and is not empty; envforge install makes a new environment, so give a new or empty folder`,
    );
  }
}

function pythonOf(platform: PlatformLock): PythonInfo | undefined {
  const python = platform.conda.find((pkg) => pkg.name === "python");
  return python === undefined ? undefined : pythonInfoOf(python.version);
}
