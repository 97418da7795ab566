/**
 * Definition → Lock: resolve the channels, load their repodata through the cache, solve the
 * conda dependencies for each target platform with the target's virtual packages. The pip part
 * of the lock stays empty until pip resolution exists.
 */
import type { Definition } from "../definition/definition.js";
import { definitionHash } from "../definition/definition-hash.js";
import { resolutionKey } from "../definition/resolution-hash.js";
import { stripUrlCredentials } from "../definition/definition-hash.js";
import { LOCK_VERSION } from "../definition/lock.js";
import type { Lock, LockContent, LockedCondaPackage, PlatformLock } from "../definition/lock.js";
import { resolveChannels } from "./channels.js";
import type { Channel, ChannelAllowList, ChannelConfig } from "./channels.js";
import { loadRepodata } from "./repodata-cache.js";
import type { Repodata, RepodataCacheOptions, RepodataSource } from "./repodata-cache.js";
import { workerRattlerSolver } from "./rattler-solver.js";
import type { RattlerSolver } from "./rattler-solver.js";
import { solveConda } from "./solve.js";
import { targetFromVariables, targetVirtualPackages } from "./virtual-packages.js";
import type { TargetSystem } from "./virtual-packages.js";

export interface LockDefinitionOptions extends RepodataCacheOptions {
  readonly definition: Definition;
  readonly channelConfig: ChannelConfig;
  /** Folder relative local channel paths are relative to (the definition's folder). */
  readonly baseDir: string;
  readonly allowList?: ChannelAllowList;
  /** Default: the definition's platform. */
  readonly platforms?: readonly string[];
  /** Applied over what the definition's CONDA_OVERRIDE_* variables say. */
  readonly target?: TargetSystem;
  /** For messages: the definition's file. */
  readonly file?: string;
  /**
   * rattler on a worker thread; a long-running process passes one and keeps it (the WASM load
   * is paid once). Default: a new one for this lock, closed at its end.
   */
  readonly solver?: RattlerSolver;
  /** Told at each stage boundary, with its duration (for progress lines and logs). */
  readonly onEvent?: (event: LockEvent) => void;
  /** Milliseconds, for durations; default `performance.now`. */
  readonly now?: () => number;
  /**
   * `envforge lock --update NAME…`: the earlier lock, whose packages other than `update` are
   * kept where the solve allows (rattler's locked records).
   */
  readonly previous?: { readonly lock: LockContent; readonly update: readonly string[] };
}

export type LockEvent =
  | {
      readonly type: "repodata";
      readonly channel: string;
      readonly subdir: string;
      readonly source: RepodataSource;
      readonly ms: number;
    }
  | {
      readonly type: "solved";
      readonly platform: string;
      readonly packages: number;
      readonly ms: number;
    };

export async function lockDefinition(options: LockDefinitionOptions): Promise<Lock> {
  const { definition } = options;
  const platforms = [...new Set(options.platforms ?? [definition.platform])].sort();
  const hash = definitionHash(definition);
  const conda = definition.conda;
  if (conda === undefined || definition.python.userManagedDependencies) {
    return {
      version: LOCK_VERSION,
      definitionHash: hash,
      resolution: resolutionKey(definition),
      channels: [],
      platforms: platforms.map((platform) => emptyPlatform(platform)),
    };
  }
  const channels = resolveChannels({
    channels: conda.channels,
    config: options.channelConfig,
    baseDir: options.baseDir,
    ...(options.allowList ? { allowList: options.allowList } : {}),
    ...(options.file ? { file: options.file } : {}),
  });
  const target = {
    ...targetFromVariables(conda.variables, definition.variables),
    ...options.target,
  };
  const now = options.now ?? (() => performance.now());
  const load = memoizedLoader(options, now);
  const solver = options.solver ?? workerRattlerSolver();
  const locks: PlatformLock[] = [];
  try {
    // One platform at a time: each solve holds its repodata in WASM memory.
    for (const platform of platforms) {
      const started = now();
      const lock = await solveConda({
        specs: conda.dependencies,
        channels,
        platform,
        virtualPackages: targetVirtualPackages(platform, target),
        loadRepodata: load,
        solver,
        ...(options.file ? { file: options.file } : {}),
        ...(options.previous ? { keep: keptOf(options.previous, platform) } : {}),
      });
      const ms = Math.round(now() - started);
      options.onEvent?.({ type: "solved", platform, packages: lock.conda.length, ms });
      locks.push(lock);
    }
  } finally {
    if (options.solver === undefined) await solver.close();
  }
  return {
    version: LOCK_VERSION,
    definitionHash: hash,
    resolution: resolutionKey(definition),
    channels: channels.map((channel) => stripUrlCredentials(channel.url)),
    platforms: locks,
  };
}

function keptOf(
  previous: NonNullable<LockDefinitionOptions["previous"]>,
  platform: string,
): LockedCondaPackage[] {
  const update = new Set(previous.update.map((name) => name.toLowerCase()));
  const earlier = previous.lock.platforms.find((p) => p.platform === platform);
  return (earlier?.conda ?? []).filter((pkg) => !update.has(pkg.name.toLowerCase()));
}

function emptyPlatform(platform: string): PlatformLock {
  return { platform, virtualPackages: [], conda: [], pip: [] };
}

/** noarch is shared by every platform: load each channel subdir once per lock. */
function memoizedLoader(
  options: RepodataCacheOptions & Pick<LockDefinitionOptions, "onEvent">,
  now: () => number,
): (channel: Channel, subdir: string) => Promise<Repodata> {
  const loaded = new Map<string, Promise<Repodata>>();
  return (channel, subdir) => {
    const key = `${channel.url}\n${subdir}`;
    let promise = loaded.get(key);
    if (promise === undefined) {
      const started = now();
      promise = loadRepodata({
        cacheDir: options.cacheDir,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.offline ? { offline: options.offline } : {}),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.memory ? { memory: options.memory } : {}),
        channel,
        subdir,
      }).then((repodata) => {
        const ms = Math.round(now() - started);
        options.onEvent?.({
          type: "repodata",
          channel: channel.name,
          subdir,
          source: repodata.source,
          ms,
        });
        return repodata;
      });
      loaded.set(key, promise);
    }
    return promise;
  };
}
