/**
 * Builds as records (ARCHITECTURE.md, Build): requested by the CLI and the API, taken by workers
 * through leases (build-leases.ts), read and followed by anyone. Single flight is the database's
 * unique index on the image hash of queued and running builds: a second request for the same
 * image while one is under way gets that build back.
 */
import { createRunStats } from "./run-stats.js";
import type { RunStats } from "./run-stats.js";
import { setTimeout as sleep } from "node:timers/promises";
import { NotFoundError, ValidationError } from "../errors/index.js";
import type { Problem } from "../errors/index.js";
import type { Definition } from "../definition/definition.js";
import type { Lock } from "../definition/lock.js";
import { imageHash as imageHashOf, imageName } from "../definition/image-hash.js";
import type { Build, LogChunk } from "./build-model.js";
import { isFinished } from "./build-model.js";
import type { TimeCursor } from "./build-cursor.js";
import { decodeTimeCursor, encodeTimeCursor } from "./build-cursor.js";
import type { BuildRecord } from "./build-store.js";
import { buildView, logChunkView } from "./build-view.js";
import type { Clock, NewId } from "./clock.js";
import { isoNow, randomId, systemClock } from "./clock.js";
import type { EnvironmentService } from "./environment-service.js";
import { leftToPinAtBuild } from "./lock-resolver.js";
import type { PinBases } from "./lock-resolver.js";
import type { EnvironmentVersion, Page } from "./model.js";
import { newProblems, requireWorkspace, workspaceOf } from "./service-context.js";
import type { WorkspaceStore } from "./store.js";
import { decodeLock, encodeJson } from "./stored-values.js";
import { checkLimit, checkName } from "./validation.js";

export interface BuildSettings {
  /** How many times a build is tried when its worker dies (default 3). */
  readonly maxAttempts: number;
  /** A build running longer is stopped and failed (default 1 h). */
  readonly timeoutMs: number;
}

export const DEFAULT_BUILD_SETTINGS: BuildSettings = { maxAttempts: 3, timeoutMs: 3_600_000 };

export interface RequestBuildInput {
  readonly workspace?: string;
  readonly name: string;
  readonly version?: number;
  readonly label?: string;
  /**
   * host[:port][/path] the image is pushed under. None: the image is kept in the local Docker
   * engine of the worker that builds it, which only a SQLite workspace allows (its worker is
   * this machine); a PostgreSQL workspace's workers are a fleet that shares images through a
   * registry.
   */
  readonly registry?: string;
  readonly timeoutMs?: number;
}

export interface RequestBuildResult {
  readonly build: Build;
  /** False when a build of the same image was already queued or running (single flight). */
  readonly created: boolean;
}

export type BuildEvent =
  | { readonly kind: "log"; readonly chunk: LogChunk }
  | { readonly kind: "state"; readonly build: Build };

/** The first wait of a follower; each next wait doubles, up to its poll interval. */
const FIRST_POLL_MS = 5;

export interface FollowInput {
  readonly workspace?: string;
  readonly id: string;
  /** Start after this log chunk (0: from the beginning). */
  readonly afterSeq?: number;
  readonly signal?: AbortSignal;
  /** How often the store is read while nothing new arrives (default 250 ms). */
  readonly pollMs?: number;
}

export interface BuildService extends RunStats {
  requestBuild(input: RequestBuildInput): Promise<RequestBuildResult>;
  getBuild(input: { readonly workspace?: string; readonly id: string }): Promise<Build>;
  listBuilds(input?: {
    readonly workspace?: string;
    readonly name?: string;
    readonly limit?: number;
    readonly cursor?: string;
  }): Promise<Page<Build>>;
  cancelBuild(input: { readonly workspace?: string; readonly id: string }): Promise<Build>;
  readBuildLog(input: {
    readonly workspace?: string;
    readonly id: string;
    readonly afterSeq?: number;
    readonly limit?: number;
  }): Promise<readonly LogChunk[]>;
  /** Log chunks and state changes until the build ends (the last event is its final state). */
  followBuild(input: FollowInput): AsyncIterable<BuildEvent>;
  /** The newest succeeded build of an image, if any (image details, `envforge run`). */
  builtImage(imageHash: string): Promise<Build | undefined>;
}

export interface BuildServiceOptions {
  readonly store: WorkspaceStore;
  /** Resolves which version a request names (curated ones included). */
  readonly versions: Pick<EnvironmentService, "getEnvironmentVersion">;
  readonly clock?: Clock;
  readonly newId?: NewId;
  readonly settings?: Partial<BuildSettings>;
  /**
   * What the configured builder refuses (the native builder: a user Dockerfile, apt packages),
   * checked before a build is queued so it is never left to fail in a worker.
   */
  readonly accepts?: (version: {
    readonly definition: Definition;
    readonly definitionHash: string;
    readonly lock?: Lock;
  }) => readonly Problem[];
  /**
   * Pins the bases registration could not (channel-lock-resolver.ts): the pinned lock is stored
   * in the version once, before the image hash is taken, so the build and the version agree.
   */
  readonly pinBases?: PinBases;
}

const LOG_PAGE = 500;

export function createBuildService(options: BuildServiceOptions): BuildService {
  const { store, versions } = options;
  const clock = options.clock ?? systemClock;
  const newId = options.newId ?? randomId;
  const settings = { ...DEFAULT_BUILD_SETTINGS, ...options.settings };

  async function requireBuild(workspace: string, id: string): Promise<BuildRecord> {
    const record = await store.read(async (tx) => {
      await requireWorkspace(tx, workspace);
      return tx.getBuild(id);
    });
    if (record === undefined || record.workspace !== workspace) {
      throw new NotFoundError(`build "${id}" not found in workspace "${workspace}"`);
    }
    return record;
  }

  function checked(input: { readonly workspace?: string; readonly id: string }): string {
    const problems = newProblems();
    const workspace = workspaceOf(problems, input.workspace);
    checkName(problems, input.id, { key: "id", what: "build id" });
    problems.throwIfAny();
    return workspace;
  }

  /**
   * The version with everything pinned: what registration could not pin (a base, the pip
   * requirements of the image's interpreter, apt packages; leftToPinAtBuild) is pinned now and
   * written into the version's lock once (a concurrent build that stored its pin first wins,
   * and both build from the stored lock). Without a pinner the version is built as stored.
   */
  async function pinnedVersion(version: EnvironmentVersion): Promise<EnvironmentVersion> {
    if (options.pinBases === undefined) return version;
    const lock = await options.pinBases({
      definition: version.definition,
      definitionHash: version.definitionHash,
      ...(version.lock === undefined ? {} : { lock: version.lock }),
    });
    if (lock === undefined) return version;
    const key = { workspace: version.workspace, name: version.name, version: version.version };
    const stored = await store.write(async (tx) => {
      const record = await tx.getVersion(key);
      // A curated version of the catalogue has no row: it is built from the pinned lock as is.
      if (record === undefined) return lock;
      const current = decodeLock(record.lockJson);
      // Pinned by a build that came first: its pins stand.
      if (current !== undefined && leftToPinAtBuild(version.definition, current).length === 0) {
        return current;
      }
      await tx.pinVersionLock({
        ...key,
        previousLockJson: record.lockJson,
        lockJson: encodeJson(lock),
        now: isoNow(clock),
      });
      return decodeLock((await tx.getVersion(key))?.lockJson ?? null) ?? lock;
    });
    return { ...version, lock: stored };
  }

  const service: BuildService = {
    ...createRunStats(store),
    async requestBuild(input) {
      const version = await pinnedVersion(
        await versions.getEnvironmentVersion({
          ...(input.workspace === undefined ? {} : { workspace: input.workspace }),
          name: input.name,
          ...(input.version === undefined ? {} : { version: input.version }),
          ...(input.label === undefined ? {} : { label: input.label }),
        }),
      );
      const refused = options.accepts?.({
        definition: version.definition,
        definitionHash: version.definitionHash,
        ...(version.lock === undefined ? {} : { lock: version.lock }),
      });
      if (refused !== undefined && refused.length > 0) {
        throw new ValidationError(
          refused.map((problem) => ({
            ...problem,
            message: `${version.name} version ${version.version}: ${problem.message}`,
          })),
        );
      }
      const hash = imageHashOf(version.definitionHash, version.lock);
      const registry =
        input.registry === undefined || input.registry.trim() === "" ? null : input.registry;
      if (registry === null && store.kind === "postgres") refuseLocalImageOnFleet();
      const now = isoNow(clock);
      const record: BuildRecord = {
        id: newId(),
        workspace: version.workspace,
        name: version.name,
        version: version.version,
        definitionHash: version.definitionHash,
        imageHash: hash,
        imageName: imageName({ imageHash: hash, ...(registry === null ? {} : { registry }) }),
        registry,
        definitionJson: encodeJson(version.definition),
        lockJson: version.lock === undefined ? null : encodeJson(version.lock),
        state: "queued",
        attempt: 0,
        maxAttempts: settings.maxAttempts,
        timeoutMs: input.timeoutMs ?? settings.timeoutMs,
        workerId: null,
        leaseUntil: null,
        cancelRequested: false,
        digest: null,
        cacheHit: null,
        reason: null,
        failedStep: null,
        logChunks: 0,
        createdAt: now,
        startedAt: null,
        finishedAt: null,
        updatedAt: now,
      };
      return store.write(async (tx) => {
        const active = await tx.activeBuild(hash);
        if (active !== undefined) return { build: buildView(active), created: false };
        if (await tx.insertBuild(record)) {
          await tx.appendBuildLog({
            buildId: record.id,
            attempt: 0,
            stream: "envforge",
            text: `queued build of ${record.name} version ${record.version} as ${record.imageName} (build ${record.id})\n`,
            now,
          });
          return { build: buildView({ ...record, logChunks: 1 }), created: true };
        }
        // Another transaction inserted the same image hash between our read and our insert.
        const winner = await tx.activeBuild(hash);
        if (winner === undefined) throw new NotFoundError(`build of ${hash} vanished`);
        return { build: buildView(winner), created: false };
      });
    },

    async getBuild(input) {
      return buildView(await requireBuild(checked(input), input.id));
    },

    async listBuilds(input = {}) {
      const problems = newProblems();
      const workspace = workspaceOf(problems, input.workspace);
      if (input.name !== undefined) {
        checkName(problems, input.name, { key: "name", what: "environment" });
      }
      checkLimit(problems, input.limit);
      problems.throwIfAny();
      const before: TimeCursor | undefined = decodeTimeCursor(input.cursor);
      const limit = input.limit ?? 100;
      const rows = await store.read(async (tx) => {
        await requireWorkspace(tx, workspace);
        return tx.listBuilds({
          workspace,
          ...(input.name === undefined ? {} : { name: input.name }),
          ...(before === undefined ? {} : { before }),
          limit: limit + 1,
        });
      });
      const items = rows.slice(0, limit).map(buildView);
      const last = items.at(-1);
      return rows.length > limit && last !== undefined
        ? { items, nextCursor: encodeTimeCursor(last) }
        : { items };
    },

    async cancelBuild(input) {
      const workspace = checked(input);
      await requireBuild(workspace, input.id);
      const now = isoNow(clock);
      const record = await store.write(async (tx) => {
        const changed = await tx.cancelBuild({ id: input.id, now, reason: "canceled by request" });
        if (changed !== undefined && changed.state === "canceled") {
          await tx.appendBuildLog({
            buildId: input.id,
            attempt: changed.attempt,
            stream: "envforge",
            text: "canceled before a worker took it\n",
            now,
          });
        }
        return changed;
      });
      if (record === undefined) throw new NotFoundError(`build "${input.id}" not found`);
      return buildView(record);
    },

    async readBuildLog(input) {
      const workspace = checked(input);
      await requireBuild(workspace, input.id);
      const rows = await store.read((tx) =>
        tx.readBuildLog({
          buildId: input.id,
          afterSeq: input.afterSeq ?? 0,
          limit: input.limit ?? LOG_PAGE,
        }),
      );
      return rows.map(logChunkView);
    },

    followBuild(input) {
      return follow(input);
    },

    async builtImage(imageHash) {
      const record = await store.read((tx) => tx.newestSucceededBuild(imageHash));
      return record === undefined ? undefined : buildView(record);
    },
  };

  async function* follow(input: FollowInput): AsyncGenerator<BuildEvent> {
    const workspace = checked(input);
    let record = await requireBuild(workspace, input.id);
    let seq = input.afterSeq ?? 0;
    let lastState = "";
    const pollMs = input.pollMs ?? 250;
    // The first reads come quickly and then slow down to pollMs: a cache hit ends within a few
    // milliseconds of its request, and its follower should not sleep a whole poll to see it.
    let waitMs = Math.min(pollMs, FIRST_POLL_MS);
    for (;;) {
      const chunks = await store.read((tx) =>
        tx.readBuildLog({ buildId: input.id, afterSeq: seq, limit: LOG_PAGE }),
      );
      for (const chunk of chunks) {
        seq = chunk.seq;
        yield { kind: "log", chunk: logChunkView(chunk) };
      }
      if (chunks.length === LOG_PAGE) continue;
      const key = `${record.state}/${record.attempt}`;
      if (key !== lastState) {
        lastState = key;
        if (!isFinished(record.state)) yield { kind: "state", build: buildView(record) };
      }
      if (isFinished(record.state) && seq >= record.logChunks) {
        yield { kind: "state", build: buildView(record) };
        return;
      }
      if (input.signal?.aborted === true) return;
      try {
        await sleep(waitMs, undefined, input.signal === undefined ? {} : { signal: input.signal });
        waitMs = Math.min(pollMs, waitMs * 2);
      } catch {
        return; // aborted: the follower went away, the build carries on
      }
      record = await requireBuild(workspace, input.id);
    }
  }

  return service;
}

function refuseLocalImageOnFleet(): never {
  // Any worker of the fleet may take the build, and any other may run the job: an image kept in
  // one worker's engine would be missing everywhere else.
  throw ValidationError.single({
    key: "registry",
    message:
      "a PostgreSQL workspace's builds are taken by workers on any machine, which share images only through a registry",
    found: "no registry",
    allowed:
      "set ENVFORGE_REGISTRY (e.g. 127.0.0.1:5000/envforge) where builds are requested (the server, or the CLI with --registry), or use a SQLite workspace to keep images in the local Docker engine",
  });
}
