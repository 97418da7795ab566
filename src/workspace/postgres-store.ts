/**
 * The PostgreSQL adapter: a pg Pool, one pooled client per transaction. Writers of one
 * environment serialise on its row (`SELECT … FOR UPDATE` after an upsert, see sql-store-tx.ts),
 * so READ COMMITTED is enough and version numbers never collide. Readers get a REPEATABLE READ
 * snapshot. Migrations run under a transaction-scoped advisory lock.
 */
import pg from "pg";
import { EnvforgeError, ExternalError } from "../errors/index.js";
import type { Clock } from "./clock.js";
import { isoNow } from "./clock.js";
import { migrate } from "./migrations.js";
import type { SqlConnection } from "./sql-connection.js";
import { limitedConnection, numberedPlaceholders } from "./sql-connection.js";
import { sqlStoreTx } from "./sql-store-tx.js";
import type { StoreTx, WorkspaceStore } from "./store.js";

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` */
  readonly url: string;
  readonly clock: Clock;
  /** Pool size (default 10). */
  readonly maxConnections?: number;
}

interface ClientTx {
  readonly connection: SqlConnection;
  readonly tx: StoreTx;
  /** The StoreTx of readOne: it runs as many statements as `allow` last said. */
  readonly one: StoreTx;
  readonly allow: (statements: number) => void;
}

/** Any constant works; it only has to be the same in every envforge process. */
const MIGRATION_LOCK_KEY = 0x656e7666; // "envf"

export async function openPostgresStore(options: PostgresStoreOptions): Promise<WorkspaceStore> {
  const location = describeUrl(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    application_name: "envforge",
    // Waiting on an environment's row lock as long as SQLite waits for its write lock, and no
    // longer; a transaction left open by a dead client is ended by the server.
    lock_timeout: 10_000,
    idle_in_transaction_session_timeout: 60_000,
  });
  // An idle client whose server went away emits here; without a listener Node would crash. The
  // next transaction reports the failure instead.
  pool.on("error", () => undefined);

  const connectionOf = (client: pg.PoolClient): SqlConnection => ({
    dialect: "postgres",
    all: (sql, params = []) =>
      guard(location, async () => {
        const result = await client.query<Record<string, unknown>>(numberedPlaceholders(sql), [
          ...params,
        ]);
        return result.rows;
      }),
    run: (sql, params = []) =>
      guard(location, async () => {
        const result = await client.query(numberedPlaceholders(sql), [...params]);
        return result.rowCount ?? 0;
      }),
  });

  /**
   * Each pooled client's StoreTx, made once: a StoreTx is a few hundred closures, and making it
   * for every transaction cost a measurable share of a short request. A client serves one
   * transaction at a time, so its readOne limit is set per call.
   */
  const perClient = new WeakMap<pg.PoolClient, ClientTx>();
  const txOf = (client: pg.PoolClient): ClientTx => {
    const known = perClient.get(client);
    if (known !== undefined) return known;
    const connection = connectionOf(client);
    const limited = limitedConnection(connection);
    const made: ClientTx = {
      connection,
      tx: sqlStoreTx(connection),
      one: sqlStoreTx(limited.connection),
      allow: limited.allow,
    };
    perClient.set(client, made);
    return made;
  };

  const inTransaction = async <T>(
    begin: string,
    work: (tx: StoreTx, connection: SqlConnection) => Promise<T>,
  ): Promise<T> => {
    const client = await guard(location, () => pool.connect());
    const { connection, tx } = txOf(client);
    let broken = false;
    try {
      await connection.run(begin);
      const value = await work(tx, connection);
      await connection.run("COMMIT");
      return value;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      // A client that could not roll back is in an unknown state: the pool must not reuse it.
      client.release(broken);
    }
  };

  try {
    await inTransaction("BEGIN", async (_tx, connection) => {
      await connection.run("SELECT pg_advisory_xact_lock(?)", [MIGRATION_LOCK_KEY]);
      await migrate(connection, { now: isoNow(options.clock) });
    });
  } catch (error) {
    await pool.end();
    throw error;
  }

  return {
    kind: "postgres",
    location,
    write: (work) => inTransaction("BEGIN", work),
    read: (work) => inTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", work),
    async readOne(work) {
      const client = await guard(location, () => pool.connect());
      const { one, allow } = txOf(client);
      allow(1);
      try {
        return await work(one);
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** The URL without its password, for messages and `location`. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username === "" ? "" : `${decodeURIComponent(parsed.username)}@`;
    return `postgres://${user}${parsed.host}${parsed.pathname}`;
  } catch {
    return "postgres://(unparseable URL)";
  }
}

async function guard<T>(location: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof EnvforgeError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new ExternalError(`PostgreSQL ${location}: ${message}`, { cause: error });
  }
}
