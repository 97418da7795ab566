/** Store records → the Build and LogChunk the service returns. */
import type { Build, LogChunk } from "./build-model.js";
import { durationOf } from "./build-model.js";
import type { BuildRecord, LogChunkRecord } from "./build-store.js";

export function buildView(r: BuildRecord): Build {
  return {
    id: r.id,
    workspace: r.workspace,
    name: r.name,
    version: r.version,
    definitionHash: r.definitionHash,
    imageHash: r.imageHash,
    image: { name: r.imageName, registry: r.registry, digest: r.digest },
    state: r.state,
    attempt: r.attempt,
    maxAttempts: r.maxAttempts,
    timeoutMs: r.timeoutMs,
    cacheHit: r.cacheHit,
    reason: r.reason,
    failedStep: r.failedStep,
    workerId: r.workerId,
    cancelRequested: r.cancelRequested,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: durationOf(r.startedAt, r.finishedAt),
  };
}

export function logChunkView(r: LogChunkRecord): LogChunk {
  return { seq: r.seq, attempt: r.attempt, stream: r.stream, text: r.text, createdAt: r.createdAt };
}
