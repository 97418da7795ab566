/**
 * StoreTx over any SqlConnection: every query once, in SQL that SQLite and PostgreSQL both run
 * unchanged (`?` placeholders are numbered for PostgreSQL by its adapter). The one difference,
 * row locking, is asked of the dialect.
 */
import { InternalError } from "../errors/index.js";
import { buildStoreTx } from "./build-store-sql.js";
import { contextContentStoreTx } from "./context-content-sql.js";
import { jobStoreTx } from "./job-store-sql.js";
import { operationsStatsTx } from "./operations-stats-sql.js";
import { urlCredentialStoreTx } from "./url-credentials-sql.js";
import { jobOfferStoreTx } from "./job-offers-sql.js";
import type {
  EnvironmentKey,
  EnvironmentListRecord,
  EnvironmentRecord,
  LabelRecord,
  RowCounts,
  StoreTx,
  TokenRecord,
  VersionRecord,
  WorkspaceRecord,
} from "./store.js";
import type { SqlConnection, SqlRow } from "./sql-connection.js";
import { flag, integer, integerOrNull, text, textOrNull } from "./sql-connection.js";

const VERSION_COLUMNS = `workspace, name, version, definition_json, definition_hash,
  source_files_json, lock_json, description, tags_json, archived, created_at, updated_at`;

export function sqlStoreTx(db: SqlConnection): StoreTx {
  function lockEnvironment(
    key: EnvironmentKey & { readonly create: true; readonly now: string },
  ): Promise<EnvironmentRecord>;
  function lockEnvironment(
    key: EnvironmentKey & { readonly create: false },
  ): Promise<EnvironmentRecord | undefined>;
  async function lockEnvironment(
    key: EnvironmentKey &
      ({ readonly create: true; readonly now: string } | { readonly create: false }),
  ): Promise<EnvironmentRecord | undefined> {
    if (key.create) {
      // One statement, one round trip: the upsert's no-op update locks the row on PostgreSQL
      // (as FOR UPDATE does) and RETURNING gives it, new or not. Registration holds this lock
      // until it commits, so every statement saved here is throughput on one environment.
      const rows = await db.all(
        `INSERT INTO environments (workspace, name, archived, created_at, updated_at)
         VALUES (?, ?, 0, ?, ?)
         ON CONFLICT (workspace, name) DO UPDATE SET archived = environments.archived
         RETURNING workspace, name, archived, created_at, updated_at`,
        [key.workspace, key.name, key.now, key.now],
      );
      return environmentOf(only(rows));
    }
    // SQLite already holds the database's write lock (BEGIN IMMEDIATE); PostgreSQL locks the row.
    const lock = db.dialect === "postgres" ? " FOR UPDATE" : "";
    const rows = await db.all(
      `SELECT workspace, name, archived, created_at, updated_at FROM environments
       WHERE workspace = ? AND name = ?${lock}`,
      [key.workspace, key.name],
    );
    return rows[0] === undefined ? undefined : environmentOf(rows[0]);
  }

  return {
    ...buildStoreTx(db),
    ...jobStoreTx(db),
    ...contextContentStoreTx(db),
    ...operationsStatsTx(db),
    ...urlCredentialStoreTx(db),
    ...jobOfferStoreTx(db),
    async insertWorkspace(record) {
      const changed = await db.run(
        "INSERT INTO workspaces (name, description, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
        [record.name, record.description, record.createdAt],
      );
      return changed === 1;
    },
    async getWorkspace(name) {
      const rows = await db.all(
        "SELECT name, description, created_at FROM workspaces WHERE name = ?",
        [name],
      );
      return rows[0] === undefined ? undefined : workspaceOf(rows[0]);
    },
    async listWorkspaces() {
      const rows = await db.all(
        "SELECT name, description, created_at FROM workspaces ORDER BY name",
      );
      return rows.map(workspaceOf);
    },

    lockEnvironment,
    async getEnvironment({ workspace, name }) {
      const rows = await db.all(
        `SELECT workspace, name, archived, created_at, updated_at FROM environments
         WHERE workspace = ? AND name = ?`,
        [workspace, name],
      );
      return rows[0] === undefined ? undefined : environmentOf(rows[0]);
    },
    async listEnvironments({ workspace, includeArchived, afterName, limit }) {
      const rows = await db.all(
        `SELECT e.workspace, e.name, e.archived, e.created_at, e.updated_at,
           (SELECT MAX(v.version) FROM environment_versions v
            WHERE v.workspace = e.workspace AND v.name = e.name AND v.archived = 0) AS latest_version
         FROM environments e
         WHERE e.workspace = ? AND e.name > ?
           AND (? = 1 OR (e.archived = 0 AND EXISTS (
             SELECT 1 FROM environment_versions v
             WHERE v.workspace = e.workspace AND v.name = e.name AND v.archived = 0)))
         ORDER BY e.name LIMIT ?`,
        [workspace, afterName ?? "", includeArchived ? 1 : 0, limit],
      );
      return rows.map((row): EnvironmentListRecord => ({
        ...environmentOf(row),
        latestVersion: integerOrNull(row, "latest_version"),
      }));
    },
    async setEnvironmentArchived({ workspace, name, archived, now }) {
      await db.run(
        "UPDATE environments SET archived = ?, updated_at = ? WHERE workspace = ? AND name = ?",
        [archived ? 1 : 0, now, workspace, name],
      );
    },

    async touchEnvironment({ workspace, name, now }) {
      await db.run("UPDATE environments SET updated_at = ? WHERE workspace = ? AND name = ?", [
        now,
        workspace,
        name,
      ]);
    },

    async getVersion({ workspace, name, version }) {
      const rows = await db.all(
        `SELECT ${VERSION_COLUMNS} FROM environment_versions
         WHERE workspace = ? AND name = ? AND version = ?`,
        [workspace, name, version],
      );
      return rows[0] === undefined ? undefined : versionOf(rows[0]);
    },
    async newestVersion({ workspace, name, includeArchived }) {
      const rows = await db.all(
        `SELECT ${VERSION_COLUMNS} FROM environment_versions
         WHERE workspace = ? AND name = ? AND (? = 1 OR archived = 0)
         ORDER BY version DESC LIMIT 1`,
        [workspace, name, includeArchived ? 1 : 0],
      );
      return rows[0] === undefined ? undefined : versionOf(rows[0]);
    },
    async newestVersionHead({ workspace, name, includeArchived }) {
      const rows = await db.all(
        `SELECT version, definition_hash, lock_json, archived FROM environment_versions
         WHERE workspace = ? AND name = ? AND (? = 1 OR archived = 0)
         ORDER BY version DESC LIMIT 1`,
        [workspace, name, includeArchived ? 1 : 0],
      );
      const row = rows[0];
      return row === undefined
        ? undefined
        : {
            version: integer(row, "version"),
            definitionHash: text(row, "definition_hash"),
            lockJson: textOrNull(row, "lock_json"),
            archived: flag(row, "archived"),
          };
    },
    async versionNumbers({ workspace, name, includeArchived }) {
      const rows = await db.all(
        `SELECT m.max_version, n.version AS newest_version, n.definition_hash AS newest_hash
         FROM (SELECT COALESCE(MAX(version), 0) AS max_version FROM environment_versions
               WHERE workspace = ? AND name = ?) m
         LEFT JOIN (SELECT version, definition_hash FROM environment_versions
                    WHERE workspace = ? AND name = ? AND (? = 1 OR archived = 0)
                    ORDER BY version DESC LIMIT 1) n ON 1 = 1`,
        [workspace, name, workspace, name, includeArchived ? 1 : 0],
      );
      const row = only(rows);
      const newest = integerOrNull(row, "newest_version");
      return {
        max: integer(row, "max_version"),
        ...(newest === null
          ? {}
          : { newest: { version: newest, definitionHash: text(row, "newest_hash") } }),
      };
    },
    async maxVersionNumber({ workspace, name }) {
      const rows = await db.all(
        `SELECT COALESCE(MAX(version), 0) AS max_version FROM environment_versions
         WHERE workspace = ? AND name = ?`,
        [workspace, name],
      );
      return integer(only(rows), "max_version");
    },
    async insertVersion(r) {
      const touch = "UPDATE environments SET updated_at = ? WHERE workspace = ? AND name = ?";
      const touched = [r.createdAt, r.workspace, r.name];
      // PostgreSQL: the environment's time in the same statement (a round trip less while its
      // row is locked); SQLite runs in process, so two statements cost nothing more.
      const postgres = db.dialect === "postgres";
      if (!postgres) await db.run(touch, touched);
      await db.run(
        `${postgres ? `WITH touched AS (${touch}) ` : ""}INSERT INTO environment_versions (${VERSION_COLUMNS})
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          ...(postgres ? touched : []),
          r.workspace,
          r.name,
          r.version,
          r.definitionJson,
          r.definitionHash,
          r.sourceFilesJson,
          r.lockJson,
          r.description,
          r.tagsJson,
          r.archived ? 1 : 0,
          r.createdAt,
          r.updatedAt,
        ],
      );
    },
    async updateVersion({ workspace, name, version, description, tagsJson, archived, now }) {
      await db.run(
        `UPDATE environment_versions SET description = ?, tags_json = ?, archived = ?, updated_at = ?
         WHERE workspace = ? AND name = ? AND version = ?`,
        [description, tagsJson, archived ? 1 : 0, now, workspace, name, version],
      );
    },
    async setVersionLock({ workspace, name, version, lockJson, now }) {
      await db.run(
        `UPDATE environment_versions SET lock_json = ?, updated_at = ?
         WHERE workspace = ? AND name = ? AND version = ? AND lock_json IS NULL`,
        [lockJson, now, workspace, name, version],
      );
    },
    async pinVersionLock({ workspace, name, version, previousLockJson, lockJson, now }) {
      const still = previousLockJson === null ? "lock_json IS NULL" : "lock_json = ?";
      await db.run(
        `UPDATE environment_versions SET lock_json = ?, updated_at = ?
         WHERE workspace = ? AND name = ? AND version = ? AND ${still}`,
        [
          lockJson,
          now,
          workspace,
          name,
          version,
          ...(previousLockJson === null ? [] : [previousLockJson]),
        ],
      );
    },
    async setAllVersionsArchived({ workspace, name, archived, now }) {
      await db.run(
        `UPDATE environment_versions SET archived = ?, updated_at = ?
         WHERE workspace = ? AND name = ? AND archived <> ?`,
        [archived ? 1 : 0, now, workspace, name, archived ? 1 : 0],
      );
    },
    async listVersions({ workspace, name, includeArchived, beforeVersion, limit }) {
      const before = beforeVersion === undefined ? "" : "AND version < ?";
      const rows = await db.all(
        `SELECT ${VERSION_COLUMNS} FROM environment_versions
         WHERE workspace = ? AND name = ? AND (? = 1 OR archived = 0) ${before}
         ORDER BY version DESC LIMIT ?`,
        [
          workspace,
          name,
          includeArchived ? 1 : 0,
          ...(beforeVersion === undefined ? [] : [beforeVersion]),
          limit,
        ],
      );
      return rows.map(versionOf);
    },

    async deleteVersions({ workspace, name, versions }) {
      let deleted = 0;
      for (const version of versions) {
        deleted += await db.run(
          `DELETE FROM environment_versions WHERE workspace = ? AND name = ? AND version = ?`,
          [workspace, name, version],
        );
      }
      return deleted;
    },

    async listLabels({ workspace, name }) {
      const rows = await db.all(
        `SELECT workspace, name, label, version, updated_at FROM environment_labels
         WHERE workspace = ? AND name = ? ORDER BY label`,
        [workspace, name],
      );
      return rows.map(labelOf);
    },
    async getLabel({ workspace, name, label }) {
      const rows = await db.all(
        `SELECT workspace, name, label, version, updated_at FROM environment_labels
         WHERE workspace = ? AND name = ? AND label = ?`,
        [workspace, name, label],
      );
      return rows[0] === undefined ? undefined : labelOf(rows[0]);
    },
    async putLabel(r) {
      await db.run(
        `INSERT INTO environment_labels (workspace, name, label, version, updated_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (workspace, name, label)
         DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
        [r.workspace, r.name, r.label, r.version, r.updatedAt],
      );
    },
    async deleteLabel({ workspace, name, label }) {
      const changed = await db.run(
        "DELETE FROM environment_labels WHERE workspace = ? AND name = ? AND label = ?",
        [workspace, name, label],
      );
      return changed > 0;
    },

    async insertToken(r) {
      await db.run(
        `INSERT INTO api_tokens (id, workspace, name, scopes_json, token_hash, created_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [r.id, r.workspace, r.name, r.scopesJson, r.tokenHash, r.createdAt, r.revokedAt],
      );
    },
    async listTokens(workspace) {
      const rows = await db.all(
        `SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE workspace = ? ORDER BY created_at, id`,
        [workspace],
      );
      return rows.map(tokenOf);
    },
    async getToken(id) {
      const rows = await db.all(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE id = ?`, [id]);
      return rows[0] === undefined ? undefined : tokenOf(rows[0]);
    },
    async getTokenByHash(tokenHash) {
      const rows = await db.all(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?`, [
        tokenHash,
      ]);
      return rows[0] === undefined ? undefined : tokenOf(rows[0]);
    },
    async revokeToken({ id, now }) {
      await db.run("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [
        now,
        id,
      ]);
    },

    async countRows(): Promise<RowCounts> {
      const rows = await db.all(
        `SELECT
           (SELECT COUNT(*) FROM workspaces) AS workspaces,
           (SELECT COUNT(*) FROM environments) AS environments,
           (SELECT COUNT(*) FROM environment_versions) AS versions,
           (SELECT COUNT(*) FROM environment_labels) AS labels,
           (SELECT COUNT(*) FROM api_tokens) AS tokens`,
      );
      const row = only(rows);
      return {
        workspaces: integer(row, "workspaces"),
        environments: integer(row, "environments"),
        versions: integer(row, "versions"),
        labels: integer(row, "labels"),
        tokens: integer(row, "tokens"),
      };
    },
  };
}

const TOKEN_COLUMNS = "id, workspace, name, scopes_json, token_hash, created_at, revoked_at";

function only(rows: readonly SqlRow[]): SqlRow {
  const row = rows[0];
  if (row === undefined) throw new InternalError("store: expected one row, got none");
  return row;
}

function workspaceOf(row: SqlRow): WorkspaceRecord {
  return {
    name: text(row, "name"),
    description: textOrNull(row, "description"),
    createdAt: text(row, "created_at"),
  };
}

function environmentOf(row: SqlRow): EnvironmentRecord {
  return {
    workspace: text(row, "workspace"),
    name: text(row, "name"),
    archived: flag(row, "archived"),
    createdAt: text(row, "created_at"),
    updatedAt: text(row, "updated_at"),
  };
}

function versionOf(row: SqlRow): VersionRecord {
  return {
    workspace: text(row, "workspace"),
    name: text(row, "name"),
    version: integer(row, "version"),
    definitionJson: text(row, "definition_json"),
    definitionHash: text(row, "definition_hash"),
    sourceFilesJson: text(row, "source_files_json"),
    lockJson: textOrNull(row, "lock_json"),
    description: textOrNull(row, "description"),
    tagsJson: text(row, "tags_json"),
    archived: flag(row, "archived"),
    createdAt: text(row, "created_at"),
    updatedAt: text(row, "updated_at"),
  };
}

function labelOf(row: SqlRow): LabelRecord {
  return {
    workspace: text(row, "workspace"),
    name: text(row, "name"),
    label: text(row, "label"),
    version: integer(row, "version"),
    updatedAt: text(row, "updated_at"),
  };
}

function tokenOf(row: SqlRow): TokenRecord {
  return {
    id: text(row, "id"),
    workspace: text(row, "workspace"),
    name: text(row, "name"),
    scopesJson: text(row, "scopes_json"),
    tokenHash: text(row, "token_hash"),
    createdAt: text(row, "created_at"),
    revokedAt: textOrNull(row, "revoked_at"),
  };
}
