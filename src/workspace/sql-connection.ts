/**
 * The little both SQL adapters have in common: run a statement with `?` placeholders on the
 * connection that holds the current transaction. The queries themselves live once, in
 * sql-store-tx.ts, in the SQL that SQLite and PostgreSQL both speak.
 */
import { InternalError } from "../errors/index.js";

export type SqlDialect = "sqlite" | "postgres";
/** Bytes travel as BLOB (SQLite) and BYTEA (PostgreSQL); both drivers take and give Buffers. */
export type SqlValue = string | number | null | Uint8Array;
export type SqlRow = Readonly<Record<string, unknown>>;

export interface SqlConnection {
  readonly dialect: SqlDialect;
  all(sql: string, params?: readonly SqlValue[]): Promise<readonly SqlRow[]>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** `?` → `$1, $2, …` for PostgreSQL. Our statements never contain a literal `?`. */
export function numberedPlaceholders(sql: string): string {
  const known = numbered.get(sql);
  if (known !== undefined) return known;
  let n = 0;
  const made = sql.replace(/\?/g, () => `$${++n}`);
  // The statements are the program's own few hundred texts; the bound only guards a mistake.
  if (numbered.size < 2000) numbered.set(sql, made);
  return made;
}

const numbered = new Map<string, string>();

export function text(row: SqlRow, column: string): string {
  const value = row[column];
  if (typeof value !== "string") throw badColumn(column, value, "text");
  return value;
}

export function textOrNull(row: SqlRow, column: string): string | null {
  const value = row[column];
  return value === null || value === undefined ? null : text(row, column);
}

/** PostgreSQL sends BIGINT and aggregates as strings; SQLite sends numbers. */
export function integer(row: SqlRow, column: string): number {
  const value = row[column];
  const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) throw badColumn(column, value, "integer");
  return n;
}

export function integerOrNull(row: SqlRow, column: string): number | null {
  const value = row[column];
  return value === null || value === undefined ? null : integer(row, column);
}

export function bytes(row: SqlRow, column: string): Uint8Array {
  const value = row[column];
  if (!(value instanceof Uint8Array)) throw badColumn(column, typeof value, "bytes");
  return value;
}

/** Flags are stored as 0/1 in both databases (SQLite has no boolean, one schema for both). */
export function flag(row: SqlRow, column: string): boolean {
  return integer(row, column) !== 0;
}

function badColumn(column: string, value: unknown, expected: string): InternalError {
  return new InternalError(
    `store: column ${column} holds ${JSON.stringify(value) ?? typeof value}, expected ${expected}`,
  );
}

/**
 * The connection for WorkspaceStore.readOne: it runs as many statements as `allow` last said,
 * and refuses the next one (made once per connection, set before each use).
 */
export function limitedConnection(connection: SqlConnection): {
  readonly connection: SqlConnection;
  allow(statements: number): void;
} {
  let left = 0;
  const once = <R>(run: () => Promise<R>): Promise<R> => {
    left -= 1;
    return left < 0
      ? Promise.reject(new InternalError("store: a second statement in readOne; use read"))
      : run();
  };
  return {
    connection: {
      dialect: connection.dialect,
      all: (sql, params) => once(() => connection.all(sql, params)),
      run: (sql, params) => once(() => connection.run(sql, params)),
    },
    allow: (statements) => {
      left = statements;
    },
  };
}
