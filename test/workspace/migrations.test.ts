/**
 * Migrations on both databases: applied once even when two processes open a new database at
 * the same moment, recorded in schema_migrations, and a database from a newer envforge is
 * refused rather than written to.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { ExternalError } from "../../src/errors/index.js";
import { MIGRATIONS } from "../../src/workspace/migrations.js";
import type { StoreHarness } from "./fixtures.js";
import { harnessKinds, openHarness, reportSkippedPostgres } from "./fixtures.js";

const { kinds, adminUrl, skipped } = await harnessKinds();
reportSkippedPostgres("migrations", skipped);

describe.each(kinds)("migrations on %s", (kind) => {
  let harness: StoreHarness | undefined;
  afterEach(async () => {
    await harness?.dispose();
    harness = undefined;
  });

  /** Runs SQL directly on the harness's database, beside envforge. */
  async function query(location: string, sql: string): Promise<Record<string, unknown>[]> {
    if (kind === "sqlite") {
      const db = new Database(location);
      try {
        const statement = db.prepare(sql);
        if (!statement.reader) {
          statement.run();
          return [];
        }
        return statement
          .all()
          .filter((row): row is Record<string, unknown> => typeof row === "object" && row !== null);
      } finally {
        db.close();
      }
    }
    const client = new pg.Client({ connectionString: postgresUrl(location) });
    await client.connect();
    try {
      return (await client.query<Record<string, unknown>>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  function postgresUrl(location: string): string {
    const url = new URL(adminUrl ?? "");
    url.pathname = new URL(location).pathname;
    return url.toString();
  }

  it("applies each migration once when several stores open a new database at once", async () => {
    harness = await openHarness(kind, adminUrl);
    const stores = await Promise.all([harness.open(), harness.open(), harness.open()]);
    const location = stores[0]!.location;
    for (const store of stores) await store.close();
    const rows = await query(
      location,
      "SELECT version, name FROM schema_migrations ORDER BY version",
    );
    expect(rows.map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version));
    const workspaces = await query(location, "SELECT name FROM workspaces");
    expect(workspaces.map((r) => r.name)).toEqual(["default"]);
  });

  it("refuses a database whose schema is newer than this envforge", async () => {
    harness = await openHarness(kind, adminUrl);
    const store = await harness.open();
    const location = store.location;
    await store.close();
    const newest = Math.max(...MIGRATIONS.map((m) => m.version));
    await query(
      location,
      `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${newest + 1}, 'future', '2030-01-01T00:00:00.000Z')`,
    );
    const error = await harness.open().then(
      async (s) => {
        await s.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExternalError);
    expect(String(error)).toContain(
      `the ${kind} database has schema version ${newest + 1}, newer than this envforge knows (${newest}); upgrade envforge to use it`,
    );
  });
});

describe.skipIf(adminUrl === undefined)("the schema on both databases", () => {
  it("has the same tables, columns and nullability", async () => {
    const sqlite = await openHarness("sqlite", undefined);
    const postgres = await openHarness("postgres", adminUrl);
    try {
      const a = await sqlite.open();
      const b = await postgres.open();
      await a.close();
      await b.close();

      const db = new Database(a.location);
      const sqliteColumns: string[] = [];
      try {
        const tables = db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
          .pluck()
          .all()
          .filter((t): t is string => typeof t === "string");
        for (const table of tables) {
          for (const column of db.prepare(`PRAGMA table_info(${table})`).all()) {
            if (
              typeof column !== "object" ||
              column === null ||
              !("name" in column && "notnull" in column && "pk" in column)
            ) {
              throw new Error(`unexpected table_info row ${JSON.stringify(column)}`);
            }
            const notNull = column.notnull === 1 || column.pk !== 0;
            sqliteColumns.push(`${table}.${String(column.name)} ${notNull ? "NOT NULL" : "NULL"}`);
          }
        }
      } finally {
        db.close();
      }

      const url = new URL(adminUrl ?? "");
      url.pathname = new URL(b.location).pathname;
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      const rows = await client
        .query<Record<string, unknown>>(
          `SELECT table_name, column_name, is_nullable FROM information_schema.columns
           WHERE table_schema = 'public'`,
        )
        .finally(() => client.end());
      const postgresColumns = rows.rows.map(
        (r) =>
          `${String(r.table_name)}.${String(r.column_name)} ${r.is_nullable === "YES" ? "NULL" : "NOT NULL"}`,
      );
      expect(postgresColumns.sort()).toEqual(sqliteColumns.sort());
      expect(sqliteColumns.length).toBeGreaterThan(30);
    } finally {
      await sqlite.dispose();
      await postgres.dispose();
    }
  });
});

describe("SQLite store file", () => {
  it("uses WAL so readers do not wait for writers", async () => {
    const harness = await openHarness("sqlite", undefined);
    try {
      const store = await harness.open();
      await store.close();
      const db = new Database(store.location);
      try {
        expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      } finally {
        db.close();
      }
      expect(store.location.endsWith(join("envforge.db"))).toBe(true);
    } finally {
      await harness.dispose();
    }
  });
});
