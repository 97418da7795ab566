/**
 * Opening a SQLite workspace whose schema is current takes no write lock (src/workspace/
 * sqlite-store.ts): one read of schema_migrations says no migration is due, so a command that
 * only reads (env list) opens and reads while another process holds the write lock. A database
 * that is not current still goes through migrate under the write lock.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/workspace/clock.js";
import { MIGRATIONS } from "../../src/workspace/migrations.js";
import { openSqliteStore } from "../../src/workspace/sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "envforge-open-schema-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Holds the database's write lock from another connection until `release` is called. */
function holdWriteLock(path: string): { release(): void } {
  const other = new Database(path);
  other.exec("BEGIN IMMEDIATE");
  return {
    release: () => {
      other.exec("ROLLBACK");
      other.close();
    },
  };
}

describe("opening a SQLite workspace", () => {
  it("at the current schema, opens and reads while another connection holds the write lock", async () => {
    const path = join(dir, "current.db");
    await (await openSqliteStore({ path, clock: systemClock })).close();
    const lock = holdWriteLock(path);
    try {
      const store = await openSqliteStore({ path, clock: systemClock, busyTimeoutMs: 300 });
      try {
        const workspace = await store.read((tx) => tx.getWorkspace("default"));
        expect(workspace?.name).toBe("default");
      } finally {
        await store.close();
      }
    } finally {
      lock.release();
    }
  });

  it("behind the current schema, migrates under the write lock (and waits for it)", async () => {
    const path = join(dir, "behind.db");
    await (await openSqliteStore({ path, clock: systemClock })).close();
    // As a database from before the newest migration would say (its statements are not undone:
    // the point is only which path the open takes).
    const newest = Math.max(...MIGRATIONS.map((migration) => migration.version));
    const db = new Database(path);
    db.prepare("DELETE FROM schema_migrations WHERE version = ?").run(newest);
    db.close();
    const lock = holdWriteLock(path);
    try {
      await expect(
        openSqliteStore({ path, clock: systemClock, busyTimeoutMs: 300 }),
      ).rejects.toThrow(/stayed locked by another connection/);
    } finally {
      lock.release();
    }
  });
});
