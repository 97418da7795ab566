/**
 * `conda-meta/`, so conda, mamba and rattler understand the environment envforge made:
 * `<name>-<version>-<build>.json` per package (conda's PrefixRecord, keys sorted and indented
 * by two as conda's JSON writer does) and `history` (one `==> time <==` block listing what was
 * linked).
 */
import type { LockedCondaPackage } from "../definition/lock.js";
import type { LinkedPath, LinkMode } from "./link-package.js";
import type { PackageIndex } from "./package-files.js";

/** conda's LinkType numbers (conda/models/enums.py). */
const LINK_TYPE: Readonly<Record<LinkMode, number>> = { hardlink: 1, copy: 3 };

export interface PrefixRecordInput {
  readonly pkg: LockedCondaPackage;
  readonly index: PackageIndex;
  readonly linked: readonly LinkedPath[];
  /** Where conda would keep the package: `<pkgs dir>/<dist>` and `<pkgs dir>/<file name>`. */
  readonly pkgsDir: string;
  readonly linkMode: LinkMode;
}

/** `conda-meta/<name>-<version>-<build>.json` */
export function prefixRecordFileName(pkg: LockedCondaPackage): string {
  return `${pkg.name}-${pkg.version}-${pkg.build}.json`;
}

export function prefixRecord(input: PrefixRecordInput): Record<string, unknown> {
  const { pkg, index } = input;
  const dist = `${pkg.name}-${pkg.version}-${pkg.build}`;
  const extractedDir = `${input.pkgsDir}/${dist}`;
  const files = input.linked
    .filter((path) => path.pathType !== "directory")
    .map((path) => path.path);
  const fromIndex = pickDefined(index.raw, [
    "arch",
    "features",
    "license",
    "license_family",
    "platform",
    "timestamp",
    "track_features",
  ]);
  return {
    ...fromIndex,
    build: pkg.build,
    build_number: pkg.buildNumber,
    channel: channelUrlOf(pkg),
    constrains: [...pkg.constrains],
    depends: [...pkg.depends],
    extracted_package_dir: extractedDir,
    files: [...files].sort(),
    fn: pkg.filename,
    link: { source: extractedDir, type: LINK_TYPE[input.linkMode] },
    md5: pkg.md5 ?? "",
    name: pkg.name,
    ...(pkg.noarch === undefined ? {} : { noarch: pkg.noarch }),
    package_tarball_full_path: `${input.pkgsDir}/${pkg.filename}`,
    paths_data: {
      paths: [...input.linked].sort((a, b) => compare(a.path, b.path)).map(pathEntry),
      paths_version: 1,
    },
    requested_spec: "",
    sha256: pkg.sha256,
    size: pkg.size ?? 0,
    subdir: pkg.subdir,
    url: stripCredentials(pkg.url),
    version: pkg.version,
  };
}

/** conda's json.dump(sort_keys=True, indent=2). */
export function prefixRecordJson(record: Record<string, unknown>): string {
  return `${JSON.stringify(sortKeys(record), null, 2)}\n`;
}

export interface HistoryInput {
  readonly time: Date;
  readonly packages: readonly LockedCondaPackage[];
  /** The command line recorded as `# cmd:`. */
  readonly command?: string;
  readonly version?: string;
}

/** conda-meta/history: conda reads the `==>` header and the `+channel::dist` lines. */
export function historyText(input: HistoryInput): string {
  const time = input.time.toISOString().replace("T", " ").slice(0, 19);
  const lines = [`==> ${time} <==`];
  if (input.command !== undefined) lines.push(`# cmd: ${input.command}`);
  if (input.version !== undefined) lines.push(`# envforge version: ${input.version}`);
  const dists = input.packages
    .map((pkg) => `+${channelNameOf(pkg)}::${pkg.name}-${pkg.version}-${pkg.build}`)
    .sort();
  lines.push(...dists);
  return `${lines.join("\n")}\n`;
}

function pathEntry(path: LinkedPath): Record<string, unknown> {
  return {
    _path: path.path,
    ...(path.fileMode === undefined ? {} : { file_mode: path.fileMode }),
    ...(path.noLink === true ? { no_link: true } : {}),
    path_type: path.pathType,
    ...(path.prefixPlaceholder === undefined ? {} : { prefix_placeholder: path.prefixPlaceholder }),
    ...(path.sha256 === undefined ? {} : { sha256: path.sha256 }),
    ...(path.sha256InPrefix === undefined ? {} : { sha256_in_prefix: path.sha256InPrefix }),
    ...(path.size === undefined ? {} : { size_in_bytes: path.size }),
  };
}

/** The channel URL with the subdir, as conda records it: the package URL without its file. */
function channelUrlOf(pkg: LockedCondaPackage): string {
  const url = stripCredentials(pkg.url);
  const slash = url.lastIndexOf("/");
  return slash === -1 ? pkg.channel : url.slice(0, slash);
}

/** `defaults` / `conda-forge` as named; a URL channel as its URL without credentials. */
function channelNameOf(pkg: LockedCondaPackage): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(pkg.channel) ? stripCredentials(pkg.channel) : pkg.channel;
}

function stripCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.pathname = parsed.pathname.replace(/^\/t\/[^/]+\//, "/");
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}

function pickDefined(
  source: Readonly<Record<string, unknown>>,
  keys: readonly string[],
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const key of keys) {
    const value = source[key];
    if (value !== undefined && value !== null) result[key] = value;
  }
  return result;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => compare(a, b))
        .map(([key, inner]) => [key, sortKeys(inner)]),
    );
  }
  return value;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
