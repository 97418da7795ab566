/**
 * From fetched packages to a plan of every path: the link order, noarch python relocation,
 * entry points, clobbers and link scripts. Pure: no file is touched here.
 */
import { isAbsolute, posix } from "node:path";
import { ValidationError } from "../errors/index.js";
import type { LockContent, LockedCondaPackage, PlatformLock } from "../definition/lock.js";
import { CLOBBERS_DIR, resolveClobbers } from "./clobbers.js";
import type { Clobber } from "./clobbers.js";
import { entryPointScript, parseEntryPoint } from "./entry-points.js";
import { distNameOf } from "./extract.js";
import { installOrder } from "./install-order.js";
import type { PlannedPath } from "./link-package.js";
import { noarchPythonTargetPath, pythonInfoOf } from "./noarch-python.js";
import type { PythonInfo } from "./noarch-python.js";
import type { PackageFiles } from "./package-files.js";

/** A package of the lock, in the cache, with what it says about its files. */
export interface Prepared {
  readonly pkg: LockedCondaPackage;
  readonly files: PackageFiles;
  readonly extractedDir: string;
  readonly fetched: boolean;
  readonly warnings: readonly string[];
}

export interface LinkScript {
  readonly package: string;
  readonly path: string;
  readonly kind: "pre-link" | "post-link" | "pre-unlink";
}

export interface Plan {
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

export interface InstallPlan {
  /** In link order. */
  readonly plans: readonly Plan[];
  /** Per package name: paths moved to `__clobbers__/`. */
  readonly moved: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly clobbers: readonly Clobber[];
  readonly linkScripts: readonly LinkScript[];
  /** Clobbers and link scripts, said for a person. */
  readonly warnings: readonly string[];
}

export function planInstall(
  prepared: readonly Prepared[],
  python: PythonInfo | undefined,
  targetPrefix: string,
): InstallPlan {
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
  const warnings = clobbers.map(
    (clobber) =>
      `${clobber.path}: written by ${[clobber.winner, ...clobber.losers].join(", ")}; kept from ${clobber.winner}, the others moved to ${CLOBBERS_DIR}/<package>/${clobber.path}`,
  );
  const linkScripts = plans.flatMap((plan) => linkScriptsOf(plan.item));
  for (const script of linkScripts) {
    if (script.kind === "pre-unlink") continue;
    warnings.push(
      `${script.package}: ${script.kind} script ${script.path} was not run (envforge never runs link scripts)`,
    );
  }
  return { plans, moved, clobbers, linkScripts, warnings };
}

function linkScriptsOf(item: Prepared): LinkScript[] {
  const name = item.pkg.name;
  const kinds = ["pre-link", "post-link", "pre-unlink"] as const;
  return kinds
    .map((kind) => ({ package: name, kind, path: `bin/.${name}-${kind}.sh` }))
    .filter((script) => item.files.paths.some((entry) => entry.path === script.path));
}

export function selectPlatform(lock: LockContent, wanted: string | undefined): PlatformLock {
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
        wanted !== undefined
          ? "the lock has no such platform"
          : names.length === 0
            ? "the lock has no platforms"
            : "the lock has several platforms; say which one to install",
      ...(wanted === undefined ? {} : { found: wanted }),
      allowed: names.join(", ") || "(the lock has no platforms)",
    });
  }
  return found;
}

export function checkTargetPrefix(path: string): string {
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

export function pythonOf(platform: PlatformLock): PythonInfo | undefined {
  const python = platform.conda.find((pkg) => pkg.name === "python");
  return python === undefined ? undefined : pythonInfoOf(python.version);
}
