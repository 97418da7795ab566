/**
 * The SQLite adapter: one better-sqlite3 connection per store, WAL so readers never wait, and
 * BEGIN IMMEDIATE for writes so registrations from several processes queue on the database's
 * write lock instead of racing. Within a store, transactions take turns on the one connection
 * through a promise queue, because a transaction spans awaits.
 *
 * Waiting for another connection's lock is done here, asynchronously, rather than by SQLite's
 * busy handler: that handler sleeps inside the call and so blocks the event loop, which would
 * freeze `envforge serve` while a CLI process writes, and would stall for good when two stores in
 * one process share a file (the holder could never reach its COMMIT).
 */
import { mkdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { EnvforgeError, ExternalError } from "../errors/index.js";
import type { Clock } from "./clock.js";
import { isoNow } from "./clock.js";
import { MIGRATIONS, migrate } from "./migrations.js";
import type { SqlConnection, SqlRow } from "./sql-connection.js";
import { limitedConnection } from "./sql-connection.js";
import { sqlStoreTx } from "./sql-store-tx.js";
import type { StoreTx, WorkspaceStore } from "./store.js";

export interface SqliteStoreOptions {
  /** The database file; its folder is created when missing. */
  readonly path: string;
  readonly clock: Clock;
  /** How long a transaction waits for another connection's lock (default 10 s). */
  readonly busyTimeoutMs?: number;
}

export async function openSqliteStore(options: SqliteStoreOptions): Promise<WorkspaceStore> {
  const { path } = options;
  const db = guard(path, () => {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    // A short busy wait inside SQLite covers brief locks (WAL checkpoints); longer waits are
    // the asynchronous retries below.
    const opened = new Database(path, { timeout: SQLITE_BUSY_WAIT_MS });
    opened.pragma("foreign_keys = ON");
    opened.pragma("synchronous = NORMAL");
    return opened;
  });
  const waitUntil = (): number => Date.now() + (options.busyTimeoutMs ?? 10_000);
  try {
    // Switching to WAL needs a lock another process opening the file may hold.
    const deadline = waitUntil();
    await whenFree(path, deadline, () => db.pragma("journal_mode = WAL"));
  } catch (error) {
    db.close();
    throw error;
  }

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
  // readOne's: transactions here run one at a time, so one limit serves them all.
  const limited = limitedConnection(connection);
  const oneTx = sqlStoreTx(limited.connection);

  let tail: Promise<unknown> = Promise.resolve();
  const inTransaction = <T>(begin: string, work: (tx: StoreTx) => Promise<T>): Promise<T> => {
    const result = tail.then(async () => {
      const deadline = waitUntil();
      await whenFree(path, deadline, () => db.exec(begin));
      try {
        const value = await work(tx);
        await whenFree(path, deadline, () => db.exec("COMMIT"));
        return value;
      } catch (error) {
        // A failed ROLLBACK must not hide why the transaction failed.
        if (db.inTransaction) guardQuietly(() => db.exec("ROLLBACK"));
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
    // In process, a transaction costs no round trip: one statement reads as `read` does.
    readOne: (work) =>
      inTransaction("BEGIN", () => {
        limited.allow(1);
        return work(oneTx);
      }),
    close: async () => {
      await tail;
      db.close();
    },
  };
  try {
    // A database at this envforge's schema needs no migration (nor the default workspace: the
    // migration that made it current made that too), so one read spares the write lock, and a
    // command that only reads does not wait for another process's write.
    if (!atCurrentSchema(db)) {
      await inTransaction("BEGIN IMMEDIATE", () =>
        migrate(connection, { now: isoNow(options.clock) }),
      );
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return store;
}

const SQLITE_BUSY_WAIT_MS = 20;

const NEWEST_MIGRATION = Math.max(...MIGRATIONS.map((migration) => migration.version));

/**
 * Whether schema_migrations' newest version is the newest this envforge knows. Anything else,
 * a new file without the table included, goes through migrate, which also refuses a newer one.
 */
function atCurrentSchema(db: Database.Database): boolean {
  try {
    const newest: unknown = db.prepare("SELECT max(version) FROM schema_migrations").pluck().get();
    return newest === NEWEST_MIGRATION;
  } catch {
    return false;
  }
}

/** Runs `work`, retrying with growing pauses while another connection holds the lock. */
async function whenFree<T>(path: string, deadline: number, work: () => T): Promise<T> {
  for (let pause = 2; ; pause = Math.min(pause * 2, 100)) {
    try {
      return guard(path, work);
    } catch (error) {
      if (!isBusy(error)) throw error;
      if (Date.now() + pause > deadline) {
        throw new ExternalError(
          `SQLite database ${path} stayed locked by another connection (another envforge process?) for longer than the wait allowed`,
          { cause: error },
        );
      }
    }
    // Jitter keeps processes that collided once from colliding again in step.
    await sleep(pause / 2 + Math.random() * pause);
  }
}

function isBusy(error: unknown): boolean {
  const cause = error instanceof ExternalError ? error.cause : error;
  return (
    typeof cause === "object" &&
    cause !== null &&
    "code" in cause &&
    typeof cause.code === "string" &&
    cause.code.startsWith("SQLITE_BUSY")
  );
}

function guardQuietly(work: () => void): void {
  try {
    work();
  } catch {
    // The connection is closing or broken; SQLite discards the transaction either way.
  }
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
