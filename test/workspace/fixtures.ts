/**
 * What the workspace tests share: real Definitions (made by definition/'s assembleDefinition, as the
 * parsers make them), a stepping clock, counting ids, and the two stores the contract runs on.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { describe, it } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assembleDefinition } from "../../src/definition/assemble-definition.js";
import type { Definition } from "../../src/definition/definition.js";
import { DEFAULT_PARSE_SETTINGS } from "../../src/definition/definition.js";
import type { Clock, NewId } from "../../src/workspace/clock.js";
import { openPostgresStore } from "../../src/workspace/postgres-store.js";
import { openSqliteStore } from "../../src/workspace/sqlite-store.js";
import type { WorkspaceStore } from "../../src/workspace/store.js";
import { createTestDatabase, probePostgres } from "../support/postgres.js";

/** An image-based definition; different `packages` give different definition hashes. */
export function definitionWith(
  packages: readonly string[],
  metadata: { readonly description?: string; readonly tags?: Record<string, string> } = {},
): Definition {
  return assembleDefinition(
    {
      kind: "envforge",
      base: { kind: "image", image: "127.0.0.1:5000/envforge/debian:bookworm" },
      conda: {
        channels: ["defaults"],
        dependencies: ["python=3.7", ...packages],
        pip: [],
        variables: {},
      },
      ...metadata,
    },
    DEFAULT_PARSE_SETTINGS,
  );
}

/** Starts at 2026-01-01T00:00:00Z and moves one second per call. */
export function steppingClock(start = Date.UTC(2026, 0, 1)): Clock {
  let now = start;
  return () => {
    const date = new Date(now);
    now += 1000;
    return date;
  };
}

export function countingIds(prefix = "id"): NewId {
  let n = 0;
  return () => `${prefix}-${String(++n).padStart(4, "0")}`;
}

/** One kind of store the contract runs against; `open` may be called more than once. */
export interface StoreHarness {
  readonly kind: "sqlite" | "postgres";
  open(options?: { readonly clock?: Clock }): Promise<WorkspaceStore>;
  /** Removes the database. Close stores first. */
  dispose(): Promise<void>;
}

export function sqliteHarness(): StoreHarness {
  const folder = mkdtempSync(join(tmpdir(), "envforge-store-"));
  return {
    kind: "sqlite",
    open: (options = {}) =>
      openSqliteStore({
        path: join(folder, "envforge.db"),
        clock: options.clock ?? steppingClock(),
      }),
    dispose: async () => rmSync(folder, { recursive: true, force: true }),
  };
}

export async function postgresHarness(adminUrl: string): Promise<StoreHarness> {
  const database = await createTestDatabase(adminUrl);
  return {
    kind: "postgres",
    open: (options = {}) =>
      openPostgresStore({ url: database.url, clock: options.clock ?? steppingClock() }),
    dispose: () => database.drop(),
  };
}

/**
 * The harnesses for describe.each: SQLite always; PostgreSQL when it answers (under CI=true
 * `probePostgres` throws instead, so a missing server fails the run).
 */
export async function harnessKinds(): Promise<{
  readonly kinds: readonly ("sqlite" | "postgres")[];
  readonly adminUrl?: string;
  readonly skipped?: string;
}> {
  const probe = await probePostgres();
  if (probe.available) return { kinds: ["sqlite", "postgres"], adminUrl: probe.adminUrl };
  return { kinds: ["sqlite"], skipped: probe.reason };
}

export async function openHarness(
  kind: "sqlite" | "postgres",
  adminUrl: string | undefined,
): Promise<StoreHarness> {
  if (kind === "sqlite") return sqliteHarness();
  if (adminUrl === undefined) throw new Error("PostgreSQL harness without a server URL");
  return postgresHarness(adminUrl);
}

/** Shows a skipped PostgreSQL half in the test report, with the reason, instead of nothing. */
export function reportSkippedPostgres(suite: string, reason: string | undefined): void {
  if (reason === undefined) return;
  describe.skip(`${suite} on postgres: ${reason}`, () => {
    it("runs when PostgreSQL answers (CI=true makes this a failure)", () => undefined);
  });
}
