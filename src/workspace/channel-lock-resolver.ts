/**
 * The lock resolver the composition roots inject into the service: the configured channels
 * (ENVFORGE_CHANNEL_URLS / ENVFORGE_CHANNEL_ALIAS), repodata cached under
 * $ENVFORGE_HOME/cache/repodata, and one rattler solver kept for the resolver's life (a server
 * pays the WASM load once), and pip's exact pins looked up on their index (pip/lock-pip.ts).
 * Channels that are not configured, not reachable or local folders
 * (a registration carries files, not the user's disk) make the resolution `unavailable`; an
 * unsolvable spec stays a ValidationError.
 */
import { join } from "node:path";
import { channelConfigFromEnv, resolveChannels } from "../conda/channels.js";
import { lockDefinition } from "../conda/lock-definition.js";
import { RepodataMemory } from "../conda/repodata-cache.js";
import { workerRattlerSolver } from "../conda/rattler-solver.js";
import type { RattlerSolver } from "../conda/rattler-solver.js";
import { ExternalError, ValidationError } from "../errors/index.js";
import { openRegistry } from "../image/index.js";
import type { Registry } from "../image/index.js";
import { readConfig } from "../host/config.js";
import { lockPip, withLockedPip } from "../pip/lock-pip.js";
import type { Definition } from "../spec/definition.js";
import type { LockResolution, ResolveLock } from "./lock-resolver.js";

export interface ChannelLockResolverOptions {
  /** The settings (channel URLs, ENVFORGE_HOME); config-file values already folded in. */
  readonly env: NodeJS.ProcessEnv;
  /** Per repodata request; default 30 s, so a registration never hangs on a dead channel. */
  readonly timeoutMs?: number;
  /** Keep parsed repodata between registrations (a server). */
  readonly keepRepodata?: boolean;
  /** Injected for tests; default the global fetch. */
  readonly fetch?: typeof globalThis.fetch;
}

export interface ChannelLockResolver {
  readonly resolveLock: ResolveLock;
  /** Ends the solver's worker thread; resolving after this starts none. */
  close(): Promise<void>;
}

export function channelLockResolver(options: ChannelLockResolverOptions): ChannelLockResolver {
  const channelConfig = channelConfigFromEnv(options.env);
  const cacheDir = join(readConfig(options.env).home, "cache", "repodata");
  const memory = options.keepRepodata === true ? new RepodataMemory() : undefined;
  const registry = openRegistry({ env: options.env, timeoutMs: options.timeoutMs ?? 30_000 });
  let solver: RattlerSolver | undefined;
  let closed = false;

  const resolveLock = async (definition: Definition): Promise<LockResolution> => {
    const channels = definition.conda?.channels ?? [];
    try {
      // Relative local channel paths have no folder to be relative to here: a neutral root.
      const resolved = resolveChannels({ channels, config: channelConfig, baseDir: "/" });
      const local = resolved.filter((channel) => channel.localPath !== undefined);
      if (local.length > 0) {
        return unavailable(
          `local channel folders are not read at registration (${local.map((c) => c.name).join(", ")})`,
        );
      }
    } catch (error) {
      if (error instanceof ValidationError) {
        return unavailable(error.problems.map((problem) => problem.message).join("; "));
      }
      throw error;
    }
    if (closed) return unavailable("the lock resolver was closed");
    solver ??= workerRattlerSolver();
    try {
      const lock = await lockDefinition({
        definition,
        channelConfig,
        baseDir: "/",
        cacheDir,
        solver,
        timeoutMs: options.timeoutMs ?? 30_000,
        ...(memory === undefined ? {} : { memory }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
      const pip = await lockPip({
        definition,
        timeoutMs: options.timeoutMs ?? 30_000,
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
      if (pip.kind === "unavailable") return unavailable(pip.reason);
      const baseImageDigest = await pinnedBase(definition, registry);
      return {
        kind: "locked",
        lock: {
          ...withLockedPip(lock, pip.pip),
          ...(baseImageDigest === undefined ? {} : { baseImageDigest }),
        },
      };
    } catch (error) {
      if (error instanceof ExternalError) return unavailable(error.message);
      throw error;
    }
  };

  return {
    resolveLock,
    async close() {
      closed = true;
      const running = solver;
      solver = undefined;
      await running?.close();
    },
  };
}

function unavailable(reason: string): LockResolution {
  return { kind: "unavailable", reason };
}

/**
 * The base image's digest, so the lock (and with it the image hash) names the exact base and a
 * build pins `FROM …@sha256:`: a tag that moves later gives a new image, never a stale cache hit.
 * Best effort: an image on a registry envforge cannot reach (or a short Docker Hub name, with no
 * registry to ask here) stays unpinned, as the base of a Dockerfile always is.
 */
async function pinnedBase(definition: Definition, registry: Registry): Promise<string | undefined> {
  const { base } = definition;
  if (base.kind !== "image" || base.image.registry === undefined) return undefined;
  if (base.image.digest !== undefined) return base.image.digest;
  try {
    const status = await registry.manifestExists(base.image);
    return status.exists ? status.digest : undefined;
  } catch (error) {
    if (error instanceof ExternalError) return undefined;
    throw error;
  }
}
