/** ContextContentStoreTx in the SQL both databases run (see sql-store-tx.ts). */
import type { ContextContentStoreTx } from "./context-content-store.js";
import type { SqlConnection } from "./sql-connection.js";
import { bytes, text } from "./sql-connection.js";

/** Hashes asked for in one statement: far below both databases' limits on parameters. */
const BATCH = 500;

export function contextContentStoreTx(db: SqlConnection): ContextContentStoreTx {
  return {
    async putContextContent({ sha256, content, now }) {
      // ON CONFLICT DO NOTHING: concurrent registrations of one file neither fail nor duplicate.
      await db.run(
        `INSERT INTO context_content (sha256, size, content, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (sha256) DO NOTHING`,
        [sha256, content.byteLength, content, now],
      );
    },
    async getContextContent(sha256) {
      const rows = await db.all("SELECT content FROM context_content WHERE sha256 = ?", [sha256]);
      return rows[0] === undefined ? undefined : bytes(rows[0], "content");
    },
    async storedContextContent(sha256s) {
      const found = new Set<string>();
      const unique = [...new Set(sha256s)];
      for (let i = 0; i < unique.length; i += BATCH) {
        const batch = unique.slice(i, i + BATCH);
        const rows = await db.all(
          `SELECT sha256 FROM context_content WHERE sha256 IN (${batch.map(() => "?").join(", ")})`,
          batch,
        );
        for (const row of rows) found.add(text(row, "sha256"));
      }
      return found;
    },
  };
}
