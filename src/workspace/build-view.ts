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
    image: imageOf(r),
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

/**
 * The record's `digest` column holds what pins the image where it is kept: the manifest digest
 * in a registry, or the image id in the local engine when the build had no registry.
 */
function imageOf(r: BuildRecord): Build["image"] {
  const local = r.registry === null;
  return {
    name: r.imageName,
    registry: r.registry,
    location: local ? "local-engine" : "registry",
    digest: local ? null : r.digest,
    id: local ? r.digest : null,
  };
}

export function logChunkView(r: LogChunkRecord): LogChunk {
  return { seq: r.seq, attempt: r.attempt, stream: r.stream, text: r.text, createdAt: r.createdAt };
}
