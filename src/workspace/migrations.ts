/**
 * The schema, as forward-only numbered migrations recorded in `schema_migrations`. Both adapters
 * run them on open, inside a transaction that only one process at a time can hold. Never edit a
 * migration that has shipped: add the next number.
 */
import { ExternalError } from "../errors/index.js";
import { DEFAULT_WORKSPACE } from "./model.js";
import type { SqlConnection, SqlDialect } from "./sql-connection.js";
import { integer } from "./sql-connection.js";

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: (types: ColumnTypes) => readonly string[];
}

/** The only per-database differences in the schema. */
export interface ColumnTypes {
  /** A text column that is compared or sorted: byte order on both, never the locale's. */
  readonly key: string;
  /** Raw bytes. */
  readonly bytes: string;
}

export function columnTypes(dialect: SqlDialect): ColumnTypes {
  return dialect === "postgres"
    ? { key: 'TEXT COLLATE "C"', bytes: "BYTEA" }
    : { key: "TEXT", bytes: "BLOB" };
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "workspaces, environments, versions, labels, api tokens",
    statements: ({ key }) => [
      `CREATE TABLE workspaces (
        name ${key} PRIMARY KEY,
        description TEXT,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE environments (
        workspace ${key} NOT NULL REFERENCES workspaces (name),
        name ${key} NOT NULL,
        archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace, name)
      )`,
      `CREATE TABLE environment_versions (
        workspace ${key} NOT NULL,
        name ${key} NOT NULL,
        version INTEGER NOT NULL CHECK (version > 0),
        definition_json TEXT NOT NULL,
        definition_hash TEXT NOT NULL,
        source_files_json TEXT NOT NULL,
        lock_json TEXT,
        description TEXT,
        tags_json TEXT NOT NULL,
        archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace, name, version),
        FOREIGN KEY (workspace, name) REFERENCES environments (workspace, name)
      )`,
      `CREATE TABLE environment_labels (
        workspace ${key} NOT NULL,
        name ${key} NOT NULL,
        label ${key} NOT NULL,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace, name, label),
        FOREIGN KEY (workspace, name, version)
          REFERENCES environment_versions (workspace, name, version)
      )`,
      `CREATE TABLE api_tokens (
        id ${key} PRIMARY KEY,
        workspace ${key} NOT NULL REFERENCES workspaces (name),
        name TEXT NOT NULL,
        scopes_json TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      )`,
      `CREATE INDEX api_tokens_by_workspace ON api_tokens (workspace, created_at, id)`,
    ],
  },
  {
    version: 2,
    name: "builds, build logs, jobs, job logs",
    // Times are ISO 8601 UTC text of one width, so text order is time order (lease expiry).
    statements: ({ key }) => [
      `CREATE TABLE builds (
        id ${key} PRIMARY KEY,
        workspace ${key} NOT NULL REFERENCES workspaces (name),
        name ${key} NOT NULL,
        version INTEGER NOT NULL,
        definition_hash TEXT NOT NULL,
        image_hash ${key} NOT NULL,
        image_name TEXT NOT NULL,
        registry TEXT,
        definition_json TEXT NOT NULL,
        lock_json TEXT,
        state ${key} NOT NULL
          CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
        attempt INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL CHECK (max_attempts > 0),
        timeout_ms INTEGER NOT NULL CHECK (timeout_ms > 0),
        worker_id TEXT,
        lease_until ${key},
        cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
        digest TEXT,
        cache_hit INTEGER CHECK (cache_hit IN (0, 1)),
        reason TEXT,
        failed_step TEXT,
        log_chunks INTEGER NOT NULL DEFAULT 0,
        created_at ${key} NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        updated_at TEXT NOT NULL
      )`,
      // Single flight: one queued or running build per image hash, enforced by the database.
      `CREATE UNIQUE INDEX builds_single_flight ON builds (image_hash)
        WHERE state IN ('queued', 'running')`,
      `CREATE INDEX builds_by_workspace ON builds (workspace, created_at, id)`,
      `CREATE INDEX builds_by_state ON builds (state, created_at, id)`,
      `CREATE TABLE build_logs (
        build_id ${key} NOT NULL REFERENCES builds (id),
        seq INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        stream TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (build_id, seq)
      )`,
      `CREATE TABLE jobs (
        id ${key} PRIMARY KEY,
        workspace ${key} NOT NULL REFERENCES workspaces (name),
        name ${key} NOT NULL,
        version INTEGER NOT NULL,
        image_hash TEXT NOT NULL,
        image_name TEXT NOT NULL,
        build_id TEXT,
        command_json TEXT NOT NULL,
        env_keys_json TEXT NOT NULL,
        working_dir TEXT,
        network TEXT NOT NULL,
        state ${key} NOT NULL
          CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
        exit_code INTEGER,
        reason TEXT,
        log_chunks INTEGER NOT NULL DEFAULT 0,
        created_at ${key} NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        updated_at TEXT NOT NULL
      )`,
      `CREATE INDEX jobs_by_workspace ON jobs (workspace, created_at, id)`,
      `CREATE TABLE job_logs (
        job_id ${key} NOT NULL REFERENCES jobs (id),
        seq INTEGER NOT NULL,
        stream TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (job_id, seq)
      )`,
    ],
  },
  {
    version: 3,
    name: "build context content, addressed by sha256",
    // Shared by every workspace and version: the key is the content's own hash, so a file that
    // many contexts hold is stored once, and a row is never changed after it is written.
    statements: ({ key, bytes }) => [
      `CREATE TABLE context_content (
        sha256 ${key} PRIMARY KEY,
        size INTEGER NOT NULL CHECK (size >= 0),
        content ${bytes} NOT NULL,
        created_at TEXT NOT NULL
      )`,
    ],
  },
  {
    version: 4,
    name: "credentials of channel and index URLs, apart from definitions",
    // Keyed by definition hash, which credentials never change: the newest registration of a
    // definition sets them (a rotated password), and every version and build of it uses them.
    statements: ({ key }) => [
      `CREATE TABLE url_credentials (
        workspace ${key} NOT NULL REFERENCES workspaces (name),
        definition_hash ${key} NOT NULL,
        credentials TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace, definition_hash)
      )`,
    ],
  },
  {
    version: 5,
    name: "jobs offered to workers",
    // A row is a job whose image is built and that any worker may take: taking deletes it, so
    // the job's environment values (which may hold secrets) are kept only until a worker has them.
    statements: ({ key }) => [
      `CREATE TABLE job_offers (
        job_id ${key} PRIMARY KEY REFERENCES jobs (id),
        image TEXT NOT NULL,
        pull INTEGER NOT NULL CHECK (pull IN (0, 1)),
        build_id TEXT,
        env_json TEXT NOT NULL,
        created_at ${key} NOT NULL
      )`,
    ],
  },
  {
    version: 6,
    name: "leases of jobs taken by workers",
    // A worker that takes a job holds it under a lease it renews while the job runs; a job whose
    // lease ran out (its worker died) is failed by the next sweep, never run twice. Jobs run in
    // process (no worker) have no lease.
    statements: ({ key }) => [
      "ALTER TABLE jobs ADD COLUMN worker_id TEXT",
      `ALTER TABLE jobs ADD COLUMN lease_until ${key}`,
      "CREATE INDEX jobs_by_lease ON jobs (lease_until)",
    ],
  },
];

/**
 * Brings the schema up to date and makes sure the default workspace exists. The caller holds an
 * exclusive transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), so two
 * processes opening one database at once apply each migration once.
 */
export async function migrate(
  connection: SqlConnection,
  options: { readonly now: string; readonly migrations?: readonly Migration[] },
): Promise<void> {
  const migrations = options.migrations ?? MIGRATIONS;
  await connection.run(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TEXT NOT NULL
    )`,
  );
  const rows = await connection.all("SELECT version FROM schema_migrations ORDER BY version");
  const applied = new Set(rows.map((row) => integer(row, "version")));
  const known = migrations.map((m) => m.version);
  const newest = Math.max(0, ...applied);
  if (newest > Math.max(0, ...known)) {
    throw new ExternalError(
      `the ${connection.dialect} database has schema version ${newest}, newer than this envforge knows (${Math.max(0, ...known)}); upgrade envforge to use it`,
    );
  }
  const types = columnTypes(connection.dialect);
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements(types)) await connection.run(statement);
    await connection.run(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
      [migration.version, migration.name, options.now],
    );
  }
  await connection.run(
    "INSERT INTO workspaces (name, description, created_at) VALUES (?, NULL, ?) ON CONFLICT (name) DO NOTHING",
    [DEFAULT_WORKSPACE, options.now],
  );
}
