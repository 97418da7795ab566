/**
 * The two store adapters, each loaded with its driver on first use, so that importing the
 * workspace module loads neither better-sqlite3 nor pg (the CLI on SQLite never loads pg).
 */
import type { PostgresStoreOptions } from "./postgres-store.js";
import type { SqliteStoreOptions } from "./sqlite-store.js";
import type { WorkspaceStore } from "./store.js";

export async function openSqliteStore(options: SqliteStoreOptions): Promise<WorkspaceStore> {
  return (await import("./sqlite-store.js")).openSqliteStore(options);
}

export async function openPostgresStore(options: PostgresStoreOptions): Promise<WorkspaceStore> {
  return (await import("./postgres-store.js")).openPostgresStore(options);
}
