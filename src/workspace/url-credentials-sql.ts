/** UrlCredentialStoreTx in the SQL both databases run (see sql-store-tx.ts). */
import type { SqlConnection } from "./sql-connection.js";
import { text } from "./sql-connection.js";
import type { UrlCredentialStoreTx } from "./url-credentials-store.js";

export function urlCredentialStoreTx(db: SqlConnection): UrlCredentialStoreTx {
  return {
    async putUrlCredentials({ workspace, definitionHash, credentialsJson, now }) {
      await db.run(
        `INSERT INTO url_credentials (workspace, definition_hash, credentials, updated_at)
         VALUES (?, ?, ?, ?)
         ON CONFLICT (workspace, definition_hash)
         DO UPDATE SET credentials = excluded.credentials, updated_at = excluded.updated_at`,
        [workspace, definitionHash, credentialsJson, now],
      );
    },
    async getUrlCredentials({ workspace, definitionHash }) {
      const rows = await db.all(
        "SELECT credentials FROM url_credentials WHERE workspace = ? AND definition_hash = ?",
        [workspace, definitionHash],
      );
      return rows[0] === undefined ? undefined : text(rows[0], "credentials");
    },
  };
}
