/** JobStoreTx in the SQL both databases run (see sql-store-tx.ts). */
import { InternalError } from "../errors/index.js";
import { logChunkOf, oneOf } from "./build-store-sql.js";
import type { JobRecord, JobState, JobStoreTx } from "./job-store.js";
import { JOB_STATES } from "./job-store.js";
import type { SqlConnection, SqlRow } from "./sql-connection.js";
import { integer, integerOrNull, text, textOrNull } from "./sql-connection.js";

const JOB_COLUMNS = `id, workspace, name, version, image_hash, image_name, build_id, command_json,
  env_keys_json, working_dir, network, state, exit_code, reason, log_chunks, created_at,
  started_at, finished_at, updated_at`;

export function jobStoreTx(db: SqlConnection): JobStoreTx {
  return {
    async insertJob(r) {
      await db.run(
        `INSERT INTO jobs (${JOB_COLUMNS})
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          r.id,
          r.workspace,
          r.name,
          r.version,
          r.imageHash,
          r.imageName,
          r.buildId,
          r.commandJson,
          r.envKeysJson,
          r.workingDir,
          r.network,
          r.state,
          r.exitCode,
          r.reason,
          r.logChunks,
          r.createdAt,
          r.startedAt,
          r.finishedAt,
          r.updatedAt,
        ],
      );
    },
    async getJob(id) {
      const rows = await db.all(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`, [id]);
      return rows[0] === undefined ? undefined : jobOf(rows[0]);
    },
    async listJobs({ workspace, before, limit }) {
      const rows = await db.all(
        `SELECT ${JOB_COLUMNS} FROM jobs
         WHERE workspace = ? AND (? = '' OR created_at < ? OR (created_at = ? AND id < ?))
         ORDER BY created_at DESC, id DESC LIMIT ?`,
        [
          workspace,
          before?.createdAt ?? "",
          before?.createdAt ?? "",
          before?.createdAt ?? "",
          before?.id ?? "",
          limit,
        ],
      );
      return rows.map(jobOf);
    },
    async startJob({ id, now, imageName, buildId }) {
      const changed = await db.run(
        `UPDATE jobs SET state = 'running', started_at = ?, updated_at = ?,
           image_name = COALESCE(?, image_name), build_id = COALESCE(?, build_id)
         WHERE id = ? AND state = 'queued'`,
        [now, now, imageName ?? null, buildId ?? null, id],
      );
      return changed === 1;
    },
    async finishJob({ id, state, exitCode, reason, now }) {
      const changed = await db.run(
        `UPDATE jobs SET state = ?, exit_code = ?, reason = ?, finished_at = ?, updated_at = ?,
           lease_until = NULL
         WHERE id = ? AND state IN ('queued', 'running')`,
        [state, exitCode, reason, now, now, id],
      );
      return changed === 1;
    },
    async leaseJob({ id, workerId, now, leaseUntil }) {
      const changed = await db.run(
        `UPDATE jobs SET worker_id = ?, lease_until = ?, updated_at = ?
         WHERE id = ? AND state = 'queued'`,
        [workerId, leaseUntil, now, id],
      );
      return changed === 1;
    },
    async releaseJob({ id, now }) {
      const changed = await db.run(
        `UPDATE jobs SET worker_id = NULL, lease_until = NULL, updated_at = ?
         WHERE id = ? AND state = 'queued'`,
        [now, id],
      );
      return changed === 1;
    },
    async heartbeatJob({ id, workerId, now, leaseUntil }) {
      const changed = await db.run(
        `UPDATE jobs SET lease_until = ?, updated_at = ?
         WHERE id = ? AND worker_id = ? AND state IN ('queued', 'running')`,
        [leaseUntil, now, id, workerId],
      );
      return changed === 1;
    },
    async expireJobLeases({ now, reason }) {
      const rows = await db.all(
        `UPDATE jobs SET state = 'failed', reason = ?, finished_at = ?, updated_at = ?,
           lease_until = NULL
         WHERE state IN ('queued', 'running') AND lease_until < ?
         RETURNING ${JOB_COLUMNS}, worker_id`,
        [reason, now, now, now],
      );
      return rows.map((row) => ({ ...jobOf(row), workerId: text(row, "worker_id") }));
    },
    async appendJobLog({ jobId, stream, text: chunk, now }) {
      const rows = await db.all(
        "UPDATE jobs SET log_chunks = log_chunks + 1 WHERE id = ? RETURNING log_chunks",
        [jobId],
      );
      const row = rows[0];
      if (row === undefined) throw new InternalError(`store: no job ${jobId} to log to`);
      const seq = integer(row, "log_chunks");
      await db.run(
        "INSERT INTO job_logs (job_id, seq, stream, text, created_at) VALUES (?, ?, ?, ?, ?)",
        [jobId, seq, stream, chunk, now],
      );
      return seq;
    },
    async readJobLog({ jobId, afterSeq, limit }) {
      const rows = await db.all(
        `SELECT seq, stream, text, created_at FROM job_logs
         WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
        [jobId, afterSeq, limit],
      );
      return rows.map(logChunkOf);
    },
  };
}

function jobOf(row: SqlRow): JobRecord {
  return {
    id: text(row, "id"),
    workspace: text(row, "workspace"),
    name: text(row, "name"),
    version: integer(row, "version"),
    imageHash: text(row, "image_hash"),
    imageName: text(row, "image_name"),
    buildId: textOrNull(row, "build_id"),
    commandJson: text(row, "command_json"),
    envKeysJson: text(row, "env_keys_json"),
    workingDir: textOrNull(row, "working_dir"),
    network: text(row, "network"),
    state: oneOf<JobState>(row, "state", JOB_STATES),
    exitCode: integerOrNull(row, "exit_code"),
    reason: textOrNull(row, "reason"),
    logChunks: integer(row, "log_chunks"),
    createdAt: text(row, "created_at"),
    startedAt: textOrNull(row, "started_at"),
    finishedAt: textOrNull(row, "finished_at"),
    updatedAt: text(row, "updated_at"),
  };
}
