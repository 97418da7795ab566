/** OperationsStatsTx in the SQL both databases run (see sql-store-tx.ts). */
import type { EndedRun, OperationsStatsTx } from "./operations-stats.js";
import type { SqlConnection, SqlRow } from "./sql-connection.js";
import { integer, text, textOrNull } from "./sql-connection.js";

const ENDED = new Set<string>(["succeeded", "failed", "canceled"]);

export function operationsStatsTx(db: SqlConnection): OperationsStatsTx {
  async function counts(table: "builds" | "jobs"): Promise<ReadonlyMap<string, number>> {
    const rows = await db.all(`SELECT state, COUNT(*) AS n FROM ${table} GROUP BY state`, []);
    return new Map(rows.map((row) => [text(row, "state"), integer(row, "n")]));
  }
  // Both tables have the same five states; every one is named, so none is missing at zero.
  const byState = (found: ReadonlyMap<string, number>) => ({
    queued: found.get("queued") ?? 0,
    running: found.get("running") ?? 0,
    succeeded: found.get("succeeded") ?? 0,
    failed: found.get("failed") ?? 0,
    canceled: found.get("canceled") ?? 0,
  });
  return {
    buildCounts: async () => byState(await counts("builds")),
    jobCounts: async () => byState(await counts("jobs")),
    async endedSince({ kind, after, limit }) {
      const table = kind === "build" ? "builds" : "jobs";
      const rows = await db.all(
        `SELECT id, state, started_at, finished_at FROM ${table}
         WHERE finished_at IS NOT NULL AND (finished_at > ? OR (finished_at = ? AND id > ?))
         ORDER BY finished_at, id LIMIT ?`,
        [after.finishedAt, after.finishedAt, after.id, limit],
      );
      return rows.flatMap((row) => endedOf(kind, row));
    },
  };
}

function isEnded(state: string): state is EndedRun["state"] {
  return ENDED.has(state);
}

function endedOf(kind: "build" | "job", row: SqlRow): EndedRun[] {
  const state = text(row, "state");
  if (!isEnded(state)) return [];
  return [
    {
      kind,
      id: text(row, "id"),
      state,
      startedAt: textOrNull(row, "started_at"),
      finishedAt: text(row, "finished_at"),
    },
  ];
}
