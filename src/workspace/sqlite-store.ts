/**
 * The SQLite adapter: one better-sqlite3 connection per store, WAL so readers never wait, and
 * BEGIN IMMEDIATE for writes so registrations from several processes queue on the database's
 * write lock (busy_timeout) instead of failing. Within a process, transactions take turns on the
 * one connection through a promise queue, because a transaction spans awaits.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { EnvforgeError, ExternalError } from "../errors/index.js";
import type { Clock } from "./clock.js";
import { isoNow } from "./clock.js";
import { migrate } from "./migrations.js";
import type { SqlConnection, SqlRow } from "./sql-connection.js";
import { sqlStoreTx } from "./sql-store-tx.js";
import type { StoreTx, WorkspaceStore } from "./store.js";

export interface SqliteStoreOptions {
  /** The database file; its folder is created when missing. */
  readonly path: string;
  readonly clock: Clock;
  /** How long a writer waits for another process's write lock (default 10 s). */
  readonly busyTimeoutMs?: number;
}

export async function openSqliteStore(options: SqliteStoreOptions): Promise<WorkspaceStore> {
  const { path } = options;
  const db = guard(path, () => {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const opened = new Database(path);
    // busy_timeout first: switching to WAL needs a lock another process may hold.
    opened.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    opened.pragma("journal_mode = WAL");
    opened.pragma("foreign_keys = ON");
    opened.pragma("synchronous = NORMAL");
    return opened;
  });

  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const connection: SqlConnection = {
    dialect: "sqlite",
    all: async (sql, params = []) =>
      guard(path, () =>
        prepare(sql)
          .all(...params)
          .filter(isRow),
      ),
    run: async (sql, params = []) => guard(path, () => prepare(sql).run(...params).changes),
  };
  const tx = sqlStoreTx(connection);

  let tail: Promise<unknown> = Promise.resolve();
  const inTransaction = <T>(begin: string, work: (tx: StoreTx) => Promise<T>): Promise<T> => {
    const result = tail.then(async () => {
      guard(path, () => db.exec(begin));
      try {
        const value = await work(tx);
        guard(path, () => db.exec("COMMIT"));
        return value;
      } catch (error) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw error;
      }
    });
    tail = result.catch(() => undefined);
    return result;
  };

  const store: WorkspaceStore = {
    kind: "sqlite",
    location: path,
    write: (work) => inTransaction("BEGIN IMMEDIATE", work),
    read: (work) => inTransaction("BEGIN", work),
    close: async () => {
      await tail;
      db.close();
    },
  };
  try {
    await inTransaction("BEGIN IMMEDIATE", () =>
      migrate(connection, { now: isoNow(options.clock) }),
    );
  } catch (error) {
    db.close();
    throw error;
  }
  return store;
}

function isRow(value: unknown): value is SqlRow {
  return typeof value === "object" && value !== null;
}

/** SQLite's own errors become ExternalError naming the file; ours pass through. */
function guard<T>(path: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof EnvforgeError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new ExternalError(`SQLite database ${path}: ${message}`, { cause: error });
  }
}
