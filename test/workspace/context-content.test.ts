/**
 * The workspace's content store for build contexts, on SQLite and PostgreSQL: registrations of
 * contexts that share a file, all at once through two connections, store that file once and all
 * succeed; bytes that do not match the listing, or a listed file whose bytes nobody gave, refuse
 * the registration and write nothing.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors/index.js";
import type { Definition } from "../../src/definition/definition.js";
import { createEnvironmentService } from "../../src/workspace/environment-service.js";
import { openPostgresStore } from "../../src/workspace/postgres-store.js";
import { openSqliteStore } from "../../src/workspace/sqlite-store.js";
import type { WorkspaceStore } from "../../src/workspace/store.js";
import { createTestDatabase } from "../support/postgres.js";
import type { TestDatabase } from "../support/postgres.js";
import { definitionWith, harnessKinds, reportSkippedPostgres, steppingClock } from "./fixtures.js";

const { kinds, adminUrl, skipped } = await harnessKinds();
reportSkippedPostgres("build context content", skipped);

const REGISTRATIONS = 30;
const SHARED = "the same file in every context\n";

function sha(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

/** Context i: its own Dockerfile and the shared file; `content` is what the client sends. */
function contextOf(i: number): { definition: Definition; content: Map<string, Uint8Array> } {
  const dockerfile = `FROM 127.0.0.1:5000/envforge/debian:bookworm\nLABEL n=${i}\n`;
  const { conda, ...plain } = definitionWith([]);
  void conda;
  const files = [
    { path: "Dockerfile", text: dockerfile },
    { path: "shared.txt", text: SHARED },
  ];
  return {
    definition: {
      ...plain,
      base: {
        kind: "build",
        contextPath: "app",
        dockerfilePath: "Dockerfile",
        dockerfile,
        files: files.map((f) => ({
          path: f.path,
          size: Buffer.byteLength(f.text),
          sha256: sha(f.text),
          mode: 0o644,
        })),
      },
    },
    content: new Map(files.map((f) => [sha(f.text), Buffer.from(f.text)])),
  };
}

describe.each(kinds)("build context content on %s", (kind) => {
  let folder: string;
  let database: TestDatabase | undefined;
  let stores: WorkspaceStore[] = [];

  const open = (): Promise<WorkspaceStore> =>
    kind === "sqlite"
      ? openSqliteStore({ path: join(folder, "envforge.db"), clock: steppingClock() })
      : openPostgresStore({ url: database?.url ?? "", clock: steppingClock() });

  /** sha256 → rows holding it, read with the database's own client. */
  async function rowsPerHash(): Promise<Map<string, number>> {
    const sql = "SELECT sha256, COUNT(*) AS n FROM context_content GROUP BY sha256";
    let rows: { sha256: string; n: number | string }[];
    if (kind === "sqlite") {
      const db = new Database(join(folder, "envforge.db"), { readonly: true });
      try {
        rows = db.prepare(sql).all() as typeof rows;
      } finally {
        db.close();
      }
    } else {
      const client = new pg.Client({ connectionString: database?.url });
      await client.connect();
      try {
        rows = (await client.query<{ sha256: string; n: string }>(sql)).rows;
      } finally {
        await client.end();
      }
    }
    return new Map(rows.map((row) => [row.sha256, Number(row.n)]));
  }

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), "envforge-context-store-"));
    if (kind === "postgres") database = await createTestDatabase(adminUrl);
    stores = [await open(), await open()];
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await database?.drop();
    rmSync(folder, { recursive: true, force: true });
  });

  it("stores a file that concurrent registrations share once, and every registration succeeds", async () => {
    const services = stores.map((store) => createEnvironmentService({ store }));
    const results = await Promise.allSettled(
      Array.from({ length: REGISTRATIONS }, (_, i) => {
        const { definition, content } = contextOf(i);
        return services[i % services.length]!.registerEnvironment({
          name: `ctx-${i}`,
          definition,
          contextContent: content,
        });
      }),
    );
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    const rows = await rowsPerHash();
    expect(rows.get(sha(SHARED))).toBe(1);
    expect(rows.size).toBe(REGISTRATIONS + 1);
    expect([...rows.values()].every((n) => n === 1)).toBe(true);
    const stored = await stores[1]!.read((tx) => tx.getContextContent(sha(SHARED)));
    expect(Buffer.from(stored ?? new Uint8Array()).toString()).toBe(SHARED);
  });

  it("refuses bytes that do not match the listing, or a file nobody gave, writing nothing", async () => {
    const service = createEnvironmentService({ store: stores[0]! });
    const { definition, content } = contextOf(1000);
    const before = await rowsPerHash();
    const dockerfileHash = sha(definition.base.kind === "build" ? definition.base.dockerfile : "");
    const forged = new Map(content).set(dockerfileHash, Buffer.from("FROM elsewhere\n"));
    const wrong = await service
      .registerEnvironment({ name: "forged", definition, contextContent: forged })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(wrong).toBeInstanceOf(ValidationError);
    expect((wrong as ValidationError).message).toBe(
      `Dockerfile: build context: the file's content does not match its listed sha256 (allowed: content with ${dockerfileHash})`,
    );

    const partial = new Map(content);
    partial.delete(dockerfileHash);
    const missing = await service
      .registerEnvironment({ name: "partial", definition, contextContent: partial })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(missing).toBeInstanceOf(ValidationError);
    expect((missing as ValidationError).message).toContain(
      "Dockerfile: build context: the file's content was not given with the definition, and the workspace does not hold it",
    );
    // The transaction rolled back: no version, and not even the shared file's row changed.
    expect(await rowsPerHash()).toEqual(before);
    const listed = await service.listEnvironments({});
    expect(listed.items.map((e) => e.name)).not.toContain("partial");
  });
});
