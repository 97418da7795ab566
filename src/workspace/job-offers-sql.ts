/** JobOfferStoreTx in the SQL both databases run (see sql-store-tx.ts). */
import type { JobOfferStoreTx } from "./job-offers-store.js";
import type { SqlConnection } from "./sql-connection.js";
import { flag, text, textOrNull } from "./sql-connection.js";

export function jobOfferStoreTx(db: SqlConnection): JobOfferStoreTx {
  // PostgreSQL: concurrent takers skip a row another transaction holds instead of waiting for
  // it; SQLite runs one writer at a time.
  const skipLocked = db.dialect === "postgres" ? " FOR UPDATE SKIP LOCKED" : "";
  return {
    async offerJob(r) {
      await db.run(
        `INSERT INTO job_offers (job_id, image, pull, build_id, env_json, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [r.jobId, r.image, r.pull ? 1 : 0, r.buildId, r.envJson, r.createdAt],
      );
    },
    async takeJobOffer() {
      const rows = await db.all(
        `DELETE FROM job_offers WHERE job_id = (
           SELECT job_id FROM job_offers ORDER BY created_at, job_id LIMIT 1${skipLocked})
         RETURNING job_id, image, pull, build_id, env_json, created_at`,
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      return {
        jobId: text(row, "job_id"),
        image: text(row, "image"),
        pull: flag(row, "pull"),
        buildId: textOrNull(row, "build_id"),
        envJson: text(row, "env_json"),
        createdAt: text(row, "created_at"),
      };
    },
  };
}
