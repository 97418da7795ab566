/**
 * Solving conda match specs with rattler (@conda-org/rattler, WASM) for a target platform.
 *
 * rattler 0.3.5 reads channels only over HTTP, refetches repodata on every solve and knows no
 * virtual packages. So envforge loads repodata itself (cached, see repodata-cache.ts), serves
 * exactly those bytes to rattler from memory on a loopback port for the length of one solve,
 * passes the target's virtual packages as "locked" records (the workaround mambajs uses too),
 * and maps every result back to its real channel and full repodata record. rattler itself runs
 * on a worker thread (rattler-solver.ts).
 */
import { ExternalError, InternalError, ValidationError } from "../errors/index.js";
import { stripUrlCredentials } from "../definition/definition-hash.js";
import type { LockedCondaPackage, PlatformLock } from "../definition/lock.js";
import { CONDA_SUBDIRS } from "../definition/match-spec.js";
import { startChannelServer } from "./channel-server.js";
import type { RattlerLockedRecord, RattlerSolution, RattlerSolver } from "./rattler-solver.js";
import { solveError } from "./solve-error.js";
import { prepareSolverSpecs, withoutPinnedElsewhere } from "./solver-specs.js";
import type { Channel } from "./channels.js";
import type { Repodata } from "./repodata-cache.js";
import type { RepodataRecord } from "./repodata-record.js";
import { formatVirtualPackage, isVirtualPackageName } from "./virtual-packages.js";
import type { VirtualPackage } from "./virtual-packages.js";

export interface SolveCondaOptions {
  /** Conda match specs, e.g. the definition's dependencies in the order written. */
  readonly specs: readonly string[];
  /** In priority order. */
  readonly channels: readonly Channel[];
  /** Conda subdir of the target, e.g. `linux-64`. */
  readonly platform: string;
  readonly virtualPackages: readonly VirtualPackage[];
  /** Gives the repodata of one channel subdir (repodata-cache's loadRepodata in production). */
  readonly loadRepodata: (channel: Channel, subdir: string) => Promise<Repodata>;
  /** rattler, on a worker thread (rattler-solver.ts); owned and closed by the caller. */
  readonly solver: RattlerSolver;
  /** For messages: the file the specs came from. */
  readonly file?: string;
  /** Key of the specs in that file, for messages; default `dependencies`. */
  readonly key?: string;
  /**
   * Packages of an earlier lock to keep (`envforge lock --update`): given to rattler as locked
   * records, which it keeps unless the specs or an updated package need another version.
   */
  readonly keep?: readonly LockedCondaPackage[];
}

/** Solves `specs` for one platform; returns that platform's lock (pip left empty). */
export async function solveConda(options: SolveCondaOptions): Promise<PlatformLock> {
  checkPlatform(options);
  const { specs, pins } = prepareSolverSpecs(options);
  const subdirs = [options.platform, "noarch"];
  const repodata = await loadAll(options, subdirs);
  const files = new Map<string, Buffer>();
  repodata.forEach((loaded, i) => {
    for (const r of loaded) {
      files.set(`c${i}/${r.subdir}/repodata.json`, withoutPinnedElsewhere(r.body, i, pins));
    }
  });
  const server = await startChannelServer({ files });
  let solved: readonly RattlerSolution[];
  try {
    solved = await options.solver
      .solve({
        specs,
        channels: options.channels.map((_, i) => `${server.url}/c${i}/`),
        platforms: subdirs,
        locked: [
          ...lockedVirtualPackages(options, server.url),
          ...keptPackages(options, repodata, server.url),
        ],
      })
      .catch((error: unknown) => {
        throw solveError(error, { ...options, mirror: server.url });
      });
  } finally {
    await server.close();
  }
  return {
    platform: options.platform,
    virtualPackages: options.virtualPackages.map(formatVirtualPackage),
    conda: lockedPackages(solved, { channels: options.channels, repodata, mirror: server.url }),
    pip: [],
  };
}

function checkPlatform(options: SolveCondaOptions): void {
  if (options.platform !== "noarch" && CONDA_SUBDIRS.has(options.platform)) return;
  throw ValidationError.single({
    ...(options.file ? { file: options.file } : {}),
    key: "platform",
    message: "not a conda platform to solve for",
    found: options.platform,
    allowed: [...CONDA_SUBDIRS]
      .filter((name) => name !== "noarch")
      .sort()
      .join(", "),
  });
}

/** Repodata per channel (outer) and subdir (inner); a channel with none at all is an error. */
async function loadAll(
  options: SolveCondaOptions,
  subdirs: readonly string[],
): Promise<Repodata[][]> {
  // Settled in order, so when several channels fail the message names the first, every time.
  const settled = await Promise.allSettled(
    options.channels.flatMap((channel) =>
      subdirs.map((subdir) => options.loadRepodata(channel, subdir)),
    ),
  );
  const loadedInOrder = settled.map((result) => {
    if (result.status === "rejected") throw result.reason;
    return result.value;
  });
  return options.channels.map((channel, i) => {
    const loaded = loadedInOrder.slice(i * subdirs.length, (i + 1) * subdirs.length);
    if (loaded.every((r) => r.source === "missing")) {
      throw new ExternalError(
        `channel "${channel.name}" has no repodata: ${loaded.map((r) => r.url).join(" and ")} ` +
          "were not found; check the channel URL",
      );
    }
    return loaded;
  });
}

/** The target's virtual packages as records rattler takes as installed (see ts-ecosystem §2). */
function lockedVirtualPackages(options: SolveCondaOptions, mirror: string): RattlerLockedRecord[] {
  return options.virtualPackages.map((pkg) => {
    const filename = `${pkg.name}-${pkg.version}-${pkg.build}.tar.bz2`;
    return {
      url: `${mirror}/virtual/${options.platform}/${filename}`,
      packageName: pkg.name,
      version: pkg.version,
      build: pkg.build,
      filename,
      subdir: options.platform,
      depends: [],
    };
  });
}

/**
 * The earlier lock's packages as records in the loopback mirror, so rattler's answer maps back
 * like any other. One the channel no longer has is left out (it is resolved again).
 */
function keptPackages(
  options: SolveCondaOptions,
  repodata: readonly (readonly Repodata[])[],
  mirror: string,
): RattlerLockedRecord[] {
  const records: RattlerLockedRecord[] = [];
  for (const pkg of options.keep ?? []) {
    const index = options.channels.findIndex(
      (channel) => channel.name === pkg.channel || stripUrlCredentials(channel.url) === pkg.channel,
    );
    const loaded = repodata[index]?.find((r) => r.subdir === pkg.subdir);
    if (loaded?.index.record(pkg.filename) === undefined) continue;
    records.push({
      url: `${mirror}/c${index}/${pkg.subdir}/${pkg.filename}`,
      packageName: pkg.name,
      version: pkg.version,
      build: pkg.build,
      filename: pkg.filename,
      subdir: pkg.subdir,
      depends: [...pkg.depends],
    });
  }
  return records;
}

interface SolvedContext {
  readonly channels: readonly Channel[];
  readonly repodata: readonly (readonly Repodata[])[];
  readonly mirror: string;
}

/** Each solved file looked up in the repodata it came from; virtual packages left out. */
function lockedPackages(
  solved: readonly RattlerSolution[],
  context: SolvedContext,
): LockedCondaPackage[] {
  const packages: LockedCondaPackage[] = [];
  const withoutSha256: string[] = [];
  for (const p of solved) {
    if (isVirtualPackageName(p.packageName)) continue;
    const { channelIndex, subdir, filename } = parseMirrorUrl(p.url, context.mirror);
    const channel = context.channels[channelIndex];
    const loaded = context.repodata[channelIndex]?.find((r) => r.subdir === subdir);
    const record = loaded?.index.record(filename);
    if (channel === undefined || loaded === undefined || record === undefined) {
      throw new InternalError(`solver returned ${p.url}, which no loaded repodata holds`);
    }
    if (record.sha256 === undefined) {
      withoutSha256.push(`${channel.name}/${subdir}/${filename}`);
      continue;
    }
    const url = packageUrl(channel, subdir, record, loaded.index.baseUrl);
    packages.push(lockedPackage(channel, record, record.sha256, url));
  }
  if (withoutSha256.length > 0) {
    throw new ExternalError(
      `the channel's repodata gives no sha256 for ${withoutSha256.join(", ")}; envforge locks ` +
        "every package by sha256, so pin another build or version, or use a channel whose " +
        "repodata has sha256 for every package",
    );
  }
  return packages.sort((a, b) => compare(a.name, b.name) || compare(a.subdir, b.subdir));
}

function lockedPackage(
  channel: Channel,
  record: RepodataRecord,
  sha256: string,
  url: string,
): LockedCondaPackage {
  return {
    name: record.name,
    version: record.version,
    build: record.build,
    buildNumber: record.buildNumber,
    channel: channel.name,
    subdir: record.subdir,
    filename: record.filename,
    url,
    sha256,
    ...(record.md5 === undefined ? {} : { md5: record.md5 }),
    ...(record.size === undefined ? {} : { size: record.size }),
    depends: [...record.depends],
    constrains: [...record.constrains],
    ...(record.noarch === undefined ? {} : { noarch: record.noarch }),
  };
}

/** Where the package file really is: the record's own URL, the subdir's base_url, or beside it. */
function packageUrl(
  channel: Channel,
  subdir: string,
  record: RepodataRecord,
  baseUrl: string | undefined,
): string {
  const subdirUrl = `${channel.url}/${subdir}/`;
  const base = baseUrl === undefined ? subdirUrl : new URL(baseUrl, subdirUrl).href;
  const url = record.url ?? `${ensureSlash(base)}${record.filename}`;
  return stripUrlCredentials(url);
}

function parseMirrorUrl(
  url: string,
  mirror: string,
): { channelIndex: number; subdir: string; filename: string } {
  const match = /^\/c(\d+)\/([^/]+)\/([^/]+)$/.exec(
    url.startsWith(mirror) ? new URL(url).pathname : "",
  );
  if (match === null) throw new InternalError(`solver returned an unexpected URL ${url}`);
  return {
    channelIndex: Number(match[1]),
    subdir: decodeURIComponent(match[2] ?? ""),
    filename: decodeURIComponent(match[3] ?? ""),
  };
}

function ensureSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
