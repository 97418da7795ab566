/**
 * BuildStoreTx in the SQL both databases run (see sql-store-tx.ts). Claims and lease changes are
 * single UPDATE statements whose WHERE re-checks the state, so two workers can never both win:
 * PostgreSQL re-evaluates the condition after waiting on the row, SQLite has one writer.
 */
import { InternalError } from "../errors/index.js";
import type {
  BuildRecord,
  BuildState,
  BuildStoreTx,
  LogChunkRecord,
  LogStream,
} from "./build-store.js";
import { BUILD_STATES, LOG_STREAMS } from "./build-store.js";
import type { SqlConnection, SqlRow } from "./sql-connection.js";
import { flag, integer, integerOrNull, text, textOrNull } from "./sql-connection.js";

const BUILD_COLUMNS = `id, workspace, name, version, definition_hash, image_hash, image_name, registry,
  definition_json, lock_json, state, attempt, max_attempts, timeout_ms, worker_id, lease_until,
  cancel_requested, digest, cache_hit, reason, failed_step, log_chunks, created_at, started_at,
  finished_at, updated_at`;

export function buildStoreTx(db: SqlConnection): BuildStoreTx {
  // PostgreSQL: a worker skips rows another worker is claiming instead of queueing behind it.
  const skipLocked = db.dialect === "postgres" ? " FOR UPDATE SKIP LOCKED" : "";
  const selectOne = async (sql: string, params: readonly (string | number | null)[]) => {
    const rows = await db.all(sql, params);
    return rows[0] === undefined ? undefined : buildOf(rows[0]);
  };

  return {
    async insertBuild(r) {
      const changed = await db.run(
        `INSERT INTO builds (${BUILD_COLUMNS})
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
        [
          r.id,
          r.workspace,
          r.name,
          r.version,
          r.definitionHash,
          r.imageHash,
          r.imageName,
          r.registry,
          r.definitionJson,
          r.lockJson,
          r.state,
          r.attempt,
          r.maxAttempts,
          r.timeoutMs,
          r.workerId,
          r.leaseUntil,
          r.cancelRequested ? 1 : 0,
          r.digest,
          r.cacheHit === null ? null : r.cacheHit ? 1 : 0,
          r.reason,
          r.failedStep,
          r.logChunks,
          r.createdAt,
          r.startedAt,
          r.finishedAt,
          r.updatedAt,
        ],
      );
      return changed === 1;
    },
    getBuild: (id) => selectOne(`SELECT ${BUILD_COLUMNS} FROM builds WHERE id = ?`, [id]),
    activeBuild: (imageHash) =>
      selectOne(
        `SELECT ${BUILD_COLUMNS} FROM builds
         WHERE image_hash = ? AND state IN ('queued', 'running')`,
        [imageHash],
      ),
    newestSucceededBuild: (imageHash) =>
      selectOne(
        `SELECT ${BUILD_COLUMNS} FROM builds WHERE image_hash = ? AND state = 'succeeded'
         ORDER BY finished_at DESC, id DESC LIMIT 1`,
        [imageHash],
      ),
    async listBuilds({ workspace, name, before, limit }) {
      const rows = await db.all(
        `SELECT ${BUILD_COLUMNS} FROM builds
         WHERE workspace = ? AND (? = '' OR name = ?)
           AND (? = '' OR created_at < ? OR (created_at = ? AND id < ?))
         ORDER BY created_at DESC, id DESC LIMIT ?`,
        [
          workspace,
          name ?? "",
          name ?? "",
          before?.createdAt ?? "",
          before?.createdAt ?? "",
          before?.createdAt ?? "",
          before?.id ?? "",
          limit,
        ],
      );
      return rows.map(buildOf);
    },
    claimBuild: ({ id, workerId, now, leaseUntil }) =>
      selectOne(
        `UPDATE builds SET state = 'running', worker_id = ?, lease_until = ?,
           attempt = attempt + 1, started_at = COALESCE(started_at, ?), updated_at = ?
         WHERE state = 'queued' AND id = (
           SELECT id FROM builds WHERE state = 'queued' AND (? = '' OR id = ?)
           ORDER BY created_at, id LIMIT 1${skipLocked})
         RETURNING ${BUILD_COLUMNS}`,
        [workerId, leaseUntil, now, now, id ?? "", id ?? ""],
      ),
    async heartbeatBuild({ id, workerId, now, leaseUntil }) {
      const rows = await db.all(
        `UPDATE builds SET lease_until = ?, updated_at = ?
         WHERE id = ? AND worker_id = ? AND state = 'running'
         RETURNING cancel_requested`,
        [leaseUntil, now, id, workerId],
      );
      const row = rows[0];
      return row === undefined ? undefined : { cancelRequested: flag(row, "cancel_requested") };
    },
    async finishBuild(end) {
      const changed = await db.run(
        `UPDATE builds SET state = ?, digest = ?, cache_hit = ?, reason = ?, failed_step = ?,
           lease_until = NULL, finished_at = ?, updated_at = ?
         WHERE id = ? AND worker_id = ? AND state = 'running'`,
        [
          end.state,
          end.digest,
          end.cacheHit === null ? null : end.cacheHit ? 1 : 0,
          end.reason,
          end.failedStep,
          end.now,
          end.now,
          end.id,
          end.workerId,
        ],
      );
      return changed === 1;
    },
    async cancelBuild({ id, now, reason }) {
      await db.run(
        `UPDATE builds SET state = 'canceled', reason = ?, finished_at = ?, updated_at = ?
         WHERE id = ? AND state = 'queued'`,
        [reason, now, now, id],
      );
      await db.run(
        `UPDATE builds SET cancel_requested = 1, updated_at = ?
         WHERE id = ? AND state = 'running'`,
        [now, id],
      );
      return selectOne(`SELECT ${BUILD_COLUMNS} FROM builds WHERE id = ?`, [id]);
    },
    async expireLeases({ now }) {
      const rows = await db.all(
        `UPDATE builds SET
           state = CASE WHEN attempt >= max_attempts THEN 'failed' ELSE 'queued' END,
           reason = CASE WHEN attempt >= max_attempts
             THEN 'the worker stopped renewing its lease on attempt ' || attempt || ' of ' || max_attempts
             ELSE reason END,
           finished_at = CASE WHEN attempt >= max_attempts THEN ? ELSE NULL END,
           worker_id = NULL, lease_until = NULL, updated_at = ?
         WHERE state = 'running' AND lease_until < ?
         RETURNING ${BUILD_COLUMNS}`,
        [now, now, now],
      );
      return rows.map(buildOf);
    },
    async queuedBuildIds(limit) {
      const rows = await db.all(
        "SELECT id FROM builds WHERE state = 'queued' ORDER BY created_at, id LIMIT ?",
        [limit],
      );
      return rows.map((row) => text(row, "id"));
    },
    async appendBuildLog({ buildId, attempt, stream, text: chunk, now }) {
      // The counter on the build row serialises writers of one log (row lock / one writer).
      const rows = await db.all(
        "UPDATE builds SET log_chunks = log_chunks + 1 WHERE id = ? RETURNING log_chunks",
        [buildId],
      );
      const row = rows[0];
      if (row === undefined) throw new InternalError(`store: no build ${buildId} to log to`);
      const seq = integer(row, "log_chunks");
      await db.run(
        `INSERT INTO build_logs (build_id, seq, attempt, stream, text, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [buildId, seq, attempt, stream, chunk, now],
      );
      return seq;
    },
    async readBuildLog({ buildId, afterSeq, limit }) {
      const rows = await db.all(
        `SELECT seq, attempt, stream, text, created_at FROM build_logs
         WHERE build_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
        [buildId, afterSeq, limit],
      );
      return rows.map(logChunkOf);
    },
    async builtImages() {
      const rows = await db.all(
        `SELECT image_hash, MAX(image_name) AS image_name, MAX(digest) AS digest,
           MAX(finished_at) AS finished_at
         FROM builds WHERE state = 'succeeded' GROUP BY image_hash ORDER BY image_hash`,
      );
      return rows.map((row) => ({
        imageHash: text(row, "image_hash"),
        imageName: text(row, "image_name"),
        digest: textOrNull(row, "digest"),
        finishedAt: text(row, "finished_at"),
      }));
    },
  };
}

export function logChunkOf(row: SqlRow): LogChunkRecord {
  return {
    seq: integer(row, "seq"),
    attempt: integerOrNull(row, "attempt") ?? 1,
    stream: oneOf(row, "stream", LOG_STREAMS),
    text: text(row, "text"),
    createdAt: text(row, "created_at"),
  };
}

export function oneOf<T extends string>(row: SqlRow, column: string, allowed: readonly T[]): T {
  const value = text(row, column);
  const found = allowed.find((item) => item === value);
  if (found === undefined) {
    throw new InternalError(`store: column ${column} holds ${JSON.stringify(value)}`);
  }
  return found;
}

function buildOf(row: SqlRow): BuildRecord {
  const cacheHit = integerOrNull(row, "cache_hit");
  return {
    id: text(row, "id"),
    workspace: text(row, "workspace"),
    name: text(row, "name"),
    version: integer(row, "version"),
    definitionHash: text(row, "definition_hash"),
    imageHash: text(row, "image_hash"),
    imageName: text(row, "image_name"),
    registry: textOrNull(row, "registry"),
    definitionJson: text(row, "definition_json"),
    lockJson: textOrNull(row, "lock_json"),
    state: oneOf<BuildState>(row, "state", BUILD_STATES),
    attempt: integer(row, "attempt"),
    maxAttempts: integer(row, "max_attempts"),
    timeoutMs: integer(row, "timeout_ms"),
    workerId: textOrNull(row, "worker_id"),
    leaseUntil: textOrNull(row, "lease_until"),
    cancelRequested: flag(row, "cancel_requested"),
    digest: textOrNull(row, "digest"),
    cacheHit: cacheHit === null ? null : cacheHit !== 0,
    reason: textOrNull(row, "reason"),
    failedStep: textOrNull(row, "failed_step"),
    logChunks: integer(row, "log_chunks"),
    createdAt: text(row, "created_at"),
    startedAt: textOrNull(row, "started_at"),
    finishedAt: textOrNull(row, "finished_at"),
    updatedAt: text(row, "updated_at"),
  };
}

export type { LogStream };
