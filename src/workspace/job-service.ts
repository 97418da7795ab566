/**
 * Jobs as records: a command run in an environment's image, with its state, exit code, timings
 * and log in chunks. The runner (src/jobs/) does the running; this keeps the record.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { NotFoundError } from "../errors/index.js";
import type { Job, LogChunk } from "./build-model.js";
import { durationOf, isFinished } from "./build-model.js";
import { decodeTimeCursor, encodeTimeCursor } from "./build-cursor.js";
import type { LogStream } from "./build-store.js";
import { logChunkView } from "./build-view.js";
import type { Clock, NewId } from "./clock.js";
import { isoNow, randomId, systemClock } from "./clock.js";
import type { JobRecord } from "./job-store.js";
import type { Page } from "./model.js";
import { newProblems, requireWorkspace, workspaceOf } from "./service-context.js";
import type { WorkspaceStore } from "./store.js";
import { decodeStringRecord, encodeJson } from "./stored-values.js";
import { checkLimit, checkName } from "./validation.js";

export interface CreateJobInput {
  readonly workspace?: string;
  readonly name: string;
  readonly version: number;
  readonly imageHash: string;
  /** What the runner starts: `<image>@<digest>` or `<image>:latest`. */
  readonly imageName: string;
  readonly buildId?: string;
  readonly command: readonly string[];
  readonly envKeys: readonly string[];
  readonly workingDir?: string;
  readonly network: "none" | "host";
}

export type JobEvent =
  | { readonly kind: "log"; readonly chunk: LogChunk }
  | { readonly kind: "state"; readonly job: Job };

/** A job a worker took: the record, and what its runner needs. */
export interface TakenJob {
  readonly job: Job;
  readonly image: string;
  readonly pull: boolean;
  readonly buildId?: string;
  readonly env: Readonly<Record<string, string>>;
}

export interface JobService {
  createJob(input: CreateJobInput): Promise<Job>;
  /** Hands a queued job whose image is built to whichever worker takes it first. */
  offerJob(input: {
    readonly id: string;
    readonly image: string;
    readonly pull: boolean;
    readonly buildId?: string;
    readonly env: Readonly<Record<string, string>>;
  }): Promise<void>;
  /**
   * The oldest offered job, taken by this worker alone under a lease of `leaseMs` that it renews
   * (renewJobLease) while the job runs; undefined when none is offered.
   */
  takeJob(input: {
    readonly workerId: string;
    readonly leaseMs: number;
  }): Promise<TakenJob | undefined>;
  /**
   * Holds a queued job that this process runs itself (`envforge run`, a server without workers)
   * under a lease of `leaseMs`, renewed with renewJobLease as a taken job's is: if the process
   * dies, the job fails when its lease ends instead of staying `running`. False when the job is
   * no longer queued.
   */
  holdJob(input: {
    readonly id: string;
    readonly workerId: string;
    readonly leaseMs: number;
  }): Promise<boolean>;
  /** Renews a taken job's lease; false when the job is no longer this worker's to run. */
  renewJobLease(input: {
    readonly id: string;
    readonly workerId: string;
    readonly leaseMs: number;
  }): Promise<boolean>;
  /**
   * Fails the jobs whose worker stopped renewing its lease (JOB_LEASE_LOST says why they are
   * failed rather than offered again), each with a line in its log; returns them.
   */
  expireJobLeases(): Promise<readonly Job[]>;
  startJob(input: {
    readonly id: string;
    readonly imageName?: string;
    readonly buildId?: string;
  }): Promise<void>;
  finishJob(input: {
    readonly id: string;
    readonly state: "succeeded" | "failed" | "canceled";
    readonly exitCode: number | null;
    readonly reason: string | null;
  }): Promise<Job>;
  appendJobLog(input: {
    readonly id: string;
    readonly stream: LogStream;
    readonly text: string;
  }): Promise<void>;
  getJob(input: { readonly workspace?: string; readonly id: string }): Promise<Job>;
  listJobs(input?: {
    readonly workspace?: string;
    readonly limit?: number;
    readonly cursor?: string;
  }): Promise<Page<Job>>;
  readJobLog(input: {
    readonly workspace?: string;
    readonly id: string;
    readonly afterSeq?: number;
    readonly limit?: number;
  }): Promise<readonly LogChunk[]>;
  followJob(input: {
    readonly workspace?: string;
    readonly id: string;
    readonly afterSeq?: number;
    readonly signal?: AbortSignal;
    readonly pollMs?: number;
  }): AsyncIterable<JobEvent>;
}

const LOG_PAGE = 500;

/**
 * Why a job whose worker died is failed, not offered again: a job is a command with effects of
 * its own (a training run writing its outputs), which may have run in part; and its environment
 * values, which may be secrets, left the store with the worker that took it, so no other worker
 * could run it as asked. Its user decides whether to run it again.
 */
export const JOB_LEASE_LOST =
  "its worker stopped renewing the job's lease (it died or lost the store); the job may have run in part and is not run again: run it anew if it should";

function leaseTimes(clock: Clock, leaseMs: number): { now: string; leaseUntil: string } {
  const now = clock();
  return {
    now: now.toISOString(),
    leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
  };
}

export function createJobService(options: {
  readonly store: WorkspaceStore;
  readonly clock?: Clock;
  readonly newId?: NewId;
}): JobService {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const newId = options.newId ?? randomId;

  function checked(input: { readonly workspace?: string; readonly id: string }): string {
    const problems = newProblems();
    const workspace = workspaceOf(problems, input.workspace);
    checkName(problems, input.id, { key: "id", what: "job id" });
    problems.throwIfAny();
    return workspace;
  }

  async function requireJob(workspace: string, id: string): Promise<JobRecord> {
    const record = await store.read(async (tx) => {
      await requireWorkspace(tx, workspace);
      return tx.getJob(id);
    });
    if (record === undefined || record.workspace !== workspace) {
      throw new NotFoundError(`job "${id}" not found in workspace "${workspace}"`);
    }
    return record;
  }

  async function* follow(input: Parameters<JobService["followJob"]>[0]): AsyncGenerator<JobEvent> {
    const workspace = checked(input);
    let record = await requireJob(workspace, input.id);
    let seq = input.afterSeq ?? 0;
    for (;;) {
      const chunks = await store.read((tx) =>
        tx.readJobLog({ jobId: input.id, afterSeq: seq, limit: LOG_PAGE }),
      );
      for (const chunk of chunks) {
        seq = chunk.seq;
        yield { kind: "log", chunk: logChunkView(chunk) };
      }
      if (chunks.length === LOG_PAGE) continue;
      if (isFinished(record.state) && seq >= record.logChunks) {
        yield { kind: "state", job: jobView(record) };
        return;
      }
      try {
        await sleep(
          input.pollMs ?? 250,
          undefined,
          input.signal === undefined ? {} : { signal: input.signal },
        );
      } catch {
        return;
      }
      record = await requireJob(workspace, input.id);
    }
  }

  return {
    async createJob(input) {
      const problems = newProblems();
      const workspace = workspaceOf(problems, input.workspace);
      if (input.command.length === 0) {
        problems.add({
          key: "command",
          message: "no command to run",
          allowed: "the command after --, e.g. -- python train.py",
        });
      }
      problems.throwIfAny();
      const now = isoNow(clock);
      const record: JobRecord = {
        id: newId(),
        workspace,
        name: input.name,
        version: input.version,
        imageHash: input.imageHash,
        imageName: input.imageName,
        buildId: input.buildId ?? null,
        commandJson: JSON.stringify(input.command),
        envKeysJson: encodeJson([...new Set(input.envKeys)].sort()),
        workingDir: input.workingDir ?? null,
        network: input.network,
        state: "queued",
        exitCode: null,
        reason: null,
        logChunks: 0,
        createdAt: now,
        startedAt: null,
        finishedAt: null,
        updatedAt: now,
      };
      await store.write(async (tx) => {
        await requireWorkspace(tx, workspace);
        await tx.insertJob(record);
      });
      return jobView(record);
    },
    async offerJob(input) {
      const now = isoNow(clock);
      await store.write(async (tx) => {
        // A hold of the process that built the image ends here: the taker's lease is the job's.
        await tx.releaseJob({ id: input.id, now });
        await tx.offerJob({
          jobId: input.id,
          image: input.image,
          pull: input.pull,
          buildId: input.buildId ?? null,
          envJson: encodeJson(input.env),
          createdAt: now,
        });
      });
    },
    async takeJob({ workerId, leaseMs }) {
      const { now, leaseUntil } = leaseTimes(clock, leaseMs);
      const taken = await store.write(async (tx) => {
        const offer = await tx.takeJobOffer();
        if (offer === undefined) return undefined;
        // In the transaction that takes the offer: no moment in which the job is held by no one.
        await tx.leaseJob({ id: offer.jobId, workerId, now, leaseUntil });
        const record = await tx.getJob(offer.jobId);
        return record === undefined ? undefined : { offer, record };
      });
      if (taken === undefined) return undefined;
      const { offer, record } = taken;
      return {
        job: jobView(record),
        image: offer.image,
        pull: offer.pull,
        ...(offer.buildId === null ? {} : { buildId: offer.buildId }),
        env: decodeStringRecord(offer.envJson, "job offer env"),
      };
    },
    async holdJob({ id, workerId, leaseMs }) {
      const { now, leaseUntil } = leaseTimes(clock, leaseMs);
      return store.write((tx) => tx.leaseJob({ id, workerId, now, leaseUntil }));
    },
    async renewJobLease({ id, workerId, leaseMs }) {
      const { now, leaseUntil } = leaseTimes(clock, leaseMs);
      return store.write((tx) => tx.heartbeatJob({ id, workerId, now, leaseUntil }));
    },
    async expireJobLeases() {
      const now = isoNow(clock);
      const expired = await store.write(async (tx) => {
        const records = await tx.expireJobLeases({ now, reason: JOB_LEASE_LOST });
        for (const record of records) {
          await tx.appendJobLog({
            jobId: record.id,
            stream: "envforge",
            text: `job failed: ${JOB_LEASE_LOST} (worker ${record.workerId})\n`,
            now,
          });
        }
        return records;
      });
      return expired.map(jobView);
    },
    async startJob(input) {
      const now = isoNow(clock);
      await store.write((tx) => tx.startJob({ ...input, now }));
    },
    async finishJob({ id, state, exitCode, reason }) {
      const now = isoNow(clock);
      const record = await store.write(async (tx) => {
        await tx.finishJob({ id, state, exitCode, reason, now });
        return tx.getJob(id);
      });
      if (record === undefined) throw new NotFoundError(`job "${id}" not found`);
      return jobView(record);
    },
    async appendJobLog({ id, stream, text }) {
      const now = isoNow(clock);
      await store.write((tx) => tx.appendJobLog({ jobId: id, stream, text, now }));
    },
    async getJob(input) {
      return jobView(await requireJob(checked(input), input.id));
    },
    async listJobs(input = {}) {
      const problems = newProblems();
      const workspace = workspaceOf(problems, input.workspace);
      checkLimit(problems, input.limit);
      problems.throwIfAny();
      const before = decodeTimeCursor(input.cursor);
      const limit = input.limit ?? 100;
      const rows = await store.read(async (tx) => {
        await requireWorkspace(tx, workspace);
        return tx.listJobs({
          workspace,
          ...(before === undefined ? {} : { before }),
          limit: limit + 1,
        });
      });
      const items = rows.slice(0, limit).map(jobView);
      const last = items.at(-1);
      return rows.length > limit && last !== undefined
        ? { items, nextCursor: encodeTimeCursor(last) }
        : { items };
    },
    async readJobLog(input) {
      const workspace = checked(input);
      await requireJob(workspace, input.id);
      const rows = await store.read((tx) =>
        tx.readJobLog({
          jobId: input.id,
          afterSeq: input.afterSeq ?? 0,
          limit: input.limit ?? LOG_PAGE,
        }),
      );
      return rows.map(logChunkView);
    },
    followJob: (input) => follow(input),
  };
}

export function jobView(r: JobRecord): Job {
  return {
    id: r.id,
    workspace: r.workspace,
    name: r.name,
    version: r.version,
    imageHash: r.imageHash,
    imageName: r.imageName,
    buildId: r.buildId,
    command: stringList(r.commandJson),
    envKeys: stringList(r.envKeysJson),
    workingDir: r.workingDir,
    network: r.network === "host" ? "host" : "none",
    state: r.state,
    exitCode: r.exitCode,
    reason: r.reason,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: durationOf(r.startedAt, r.finishedAt),
  };
}

function stringList(text: string): string[] {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
