/** The store the configuration names (read from the environment by readConfig), never echoing a password. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ExternalError, ValidationError } from "../../src/errors/index.js";
import { openEnvironmentService } from "../../src/workspace/open-environment-service.js";
import { openWorkspaceStore } from "../../src/workspace/open-workspace-store.js";
import { readConfig } from "../../src/host/config.js";
import { createTestDatabase, probePostgres } from "../support/postgres.js";

const probe = await probePostgres();

describe("openWorkspaceStore", () => {
  const home = mkdtempSync(join(tmpdir(), "envforge-home-"));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("opens SQLite at $ENVFORGE_HOME/envforge.db by default", async () => {
    const store = await openWorkspaceStore({
      settings: readConfig({ ENVFORGE_HOME: join(home, "nested") }),
    });
    try {
      expect(store.kind).toBe("sqlite");
      expect(store.location).toBe(join(home, "nested", "envforge.db"));
      expect(existsSync(store.location)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("opens the service with the shipped curated environments", async () => {
    const opened = await openEnvironmentService({
      settings: readConfig({ ENVFORGE_HOME: join(home, "service") }),
    });
    try {
      expect(opened.store.location).toBe(join(home, "service", "envforge.db"));
      const curated = await opened.service.listCurated();
      expect(curated.map((c) => c.name)).toContain("envforge-python-3.10-minimal");
      const { version } = await opened.service.registerEnvironment({
        name: "mine",
        definition: curated[0]!.definition,
      });
      expect(version).toMatchObject({ workspace: "default", name: "mine", version: 1 });
    } finally {
      await opened.close();
    }
  });

  it("refuses a URL that is not PostgreSQL without showing its password", async () => {
    const error = await openWorkspaceStore({
      settings: readConfig({
        ENVFORGE_HOME: home,
        ENVFORGE_DATABASE_URL: "mysql://root:hunter2@127.0.0.1/db",
      }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(String(error)).toBe(
      'ValidationError: ENVFORGE_DATABASE_URL: the database URL is not a PostgreSQL URL (found scheme "mysql"; allowed: postgres://user:password@host:port/database)',
    );
  });

  it("reports an unreachable PostgreSQL as an external failure without its password", async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const error = await openWorkspaceStore({
      settings: readConfig({
        ENVFORGE_DATABASE_URL: "postgres://envforge:hunter2@127.0.0.1:1/envforge",
      }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalError);
    expect(String(error)).toContain("PostgreSQL postgres://envforge@127.0.0.1:1/envforge: ");
    expect(String(error)).not.toContain("hunter2");
  });

  it.skipIf(!probe.available)("opens PostgreSQL when ENVFORGE_DATABASE_URL is set", async () => {
    if (!probe.available) return;
    const database = await createTestDatabase(probe.adminUrl);
    try {
      const store = await openWorkspaceStore({
        settings: readConfig({ ENVFORGE_DATABASE_URL: database.url }),
      });
      try {
        expect(store.kind).toBe("postgres");
        expect(store.location).toBe(`postgres://envforge@127.0.0.1:5432/${database.name}`);
      } finally {
        await store.close();
      }
    } finally {
      await database.drop();
    }
  });
});
