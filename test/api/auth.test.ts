/**
 * Auth against a real server with real tokens: 401 without or with a bad token, 403 for a
 * missing scope or another workspace, scopes nesting (admin ⊇ write ⊇ read), revocation, the
 * server admin, secrets never stored (only their sha256) and never logged, and the refusal to
 * serve a non-loopback address without auth.
 */
import { readFile } from "node:fs/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSecret } from "../../src/workspace/api-tokens.js";
import { checkBind, isLoopbackHost, startApiServer } from "../../src/api/serve.js";
import { DEFAULT_PARSE_SETTINGS } from "../../src/definition/definition.js";
import { createEnvironmentService, openSqliteStore } from "../../src/workspace/index.js";
import { harnessKinds } from "../workspace/fixtures.js";
import type { ApiHarness } from "./harness.js";
import { condaUpload, field, request, startApiHarness, versionsUrl } from "./harness.js";

const { kinds, adminUrl } = await harnessKinds();

describe.each(kinds)("auth on %s", (kind) => {
  let api: ApiHarness;
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    api = await startApiHarness({ kind, adminUrl, auth: true });
    await api.service.createWorkspace({ name: "team" });
    const make = async (key: string, workspace: string, scopes: ("read" | "write" | "admin")[]) => {
      secrets[key] = (await api.service.createToken({ workspace, name: key, scopes })).secret;
    };
    await make("defaultAdmin", "default", ["admin"]);
    await make("teamRead", "team", ["read"]);
    await make("teamWrite", "team", ["write"]);
    await make("teamAdmin", "team", ["admin"]);
  });
  afterAll(async () => api?.close());

  const s = (key: string): string => {
    const secret = secrets[key];
    if (secret === undefined) throw new Error(`no token ${key}`);
    return secret;
  };

  it("answers 401 without a token, before reading the body", async () => {
    const answer = await request(versionsUrl(api.url, "team", "demo"), { raw: "{ not json" });
    expect(answer.status).toBe(401);
    expect(field(answer.body, "error")).toBe("unauthorized");
    expect(String(field(answer.body, "detail"))).toContain("this server needs an API token");
  });

  it.each([
    ["a malformed token", "not-a-token"],
    ["an unknown token", `efk_${"A".repeat(43)}`],
  ])("answers 401 for %s", async (_title, token) => {
    const answer = await request(`${api.url}/v1/workspaces/team/environments`, { token });
    expect(answer.status).toBe(401);
    expect(field(answer.body, "detail")).toBe("the API token is not valid");
  });

  it("answers 403 for a read token on a write route, and writes nothing", async () => {
    const before = await api.store.read((tx) => tx.countRows());
    const answer = await request(versionsUrl(api.url, "team", "demo"), {
      token: s("teamRead"),
      body: condaUpload(["numpy"]),
    });
    expect(answer.status).toBe(403);
    expect(String(field(answer.body, "detail"))).toContain("lacks the write scope");
    expect(await api.store.read((tx) => tx.countRows())).toEqual(before);
  });

  it("answers 403 for a token of another workspace", async () => {
    const answer = await request(`${api.url}/v1/workspaces/default/environments`, {
      token: s("teamAdmin"),
    });
    expect(answer.status).toBe(403);
    expect(field(answer.body, "detail")).toBe(
      'the API token belongs to workspace "team", not "default"',
    );
  });

  it("lets write register and read list (admin includes write includes read)", async () => {
    const created = await request(versionsUrl(api.url, "team", "demo"), {
      token: s("teamWrite"),
      body: condaUpload(["numpy"]),
    });
    expect(created.status).toBe(201);
    for (const key of ["teamRead", "teamWrite", "teamAdmin"]) {
      const listed = await request(versionsUrl(api.url, "team", "demo"), { token: s(key) });
      expect(listed.status).toBe(200);
    }
  });

  it("keeps token management and workspace creation for admins", async () => {
    const tokens = `${api.url}/v1/workspaces/team/tokens`;
    expect((await request(tokens, { token: s("teamWrite") })).status).toBe(403);
    expect((await request(tokens, { token: s("teamAdmin") })).status).toBe(200);
    // The server admin (admin of default) manages any workspace's tokens ...
    expect((await request(tokens, { token: s("defaultAdmin") })).status).toBe(200);
    // ... and creates workspaces; a workspace admin does not.
    const create = (token: string, name: string) =>
      request(`${api.url}/v1/workspaces`, { token, body: { name } });
    expect((await create(s("teamAdmin"), "other")).status).toBe(403);
    expect((await create(s("defaultAdmin"), "other")).status).toBe(201);
  });

  it("refuses a revoked token with 401", async () => {
    const created = await request(`${api.url}/v1/workspaces/team/tokens`, {
      token: s("teamAdmin"),
      body: { name: "short-lived", scopes: ["read"] },
    });
    expect(created.status).toBe(201);
    const secret = String(field(created.body, "secret"));
    const id = String(field(created.body, "token", "id"));
    const envs = `${api.url}/v1/workspaces/team/environments`;
    expect((await request(envs, { token: secret })).status).toBe(200);
    const revoked = await request(`${api.url}/v1/workspaces/team/tokens/${id}`, {
      method: "DELETE",
      token: s("teamAdmin"),
    });
    expect(revoked.status).toBe(200);
    const after = await request(envs, { token: secret });
    expect(after.status).toBe(401);
    const detail = String(field(after.body, "detail"));
    expect(detail).toMatch(/^the API token was revoked at \d{4}-\d\d-\d\dT/);
    // The 401 names neither the token nor its id (issue 13: it named the token).
    expect(JSON.stringify(after.body)).not.toContain("short-lived");
    expect(JSON.stringify(after.body)).not.toContain(id);
  });

  it("stores only token hashes and never logs a token", async () => {
    const listed = await request(`${api.url}/v1/workspaces/team/tokens`, { token: s("teamAdmin") });
    expect(JSON.stringify(listed.body)).not.toMatch(/efk_|tokenHash/);
    const rows = await api.store.read((tx) => tx.listTokens("team"));
    for (const key of ["teamRead", "teamWrite", "teamAdmin"]) {
      const row = rows.find((r) => r.name === key);
      expect(row?.tokenHash).toBe(hashSecret(s(key)));
    }
    // Everything the database holds, as text: the hashes are there, the secrets are not.
    const all =
      kind === "sqlite"
        ? await sqliteBytes(api.store.location)
        : await postgresText(api.store.location);
    expect(all).toContain(hashSecret(s("teamRead")));
    for (const secret of Object.values(secrets)) expect(all).not.toContain(secret);
    const logs = api.logs();
    // The log really holds the requests made with those tokens.
    expect(logs).toContain("incoming request");
    for (const secret of Object.values(secrets)) expect(logs).not.toContain(secret);
    expect(logs).not.toContain("efk_");
  });
});

/** The SQLite file and its WAL as bytes. */
async function sqliteBytes(location: string): Promise<string> {
  const bytes = [
    await readFile(location),
    await readFile(`${location}-wal`).catch(() => Buffer.alloc(0)),
  ];
  return Buffer.concat(bytes).toString("latin1");
}

/** Every row of every table of the test database, as PostgreSQL's text form. */
async function postgresText(location: string): Promise<string> {
  if (adminUrl === undefined) throw new Error("no PostgreSQL");
  const url = new URL(adminUrl);
  url.pathname = new URL(location).pathname;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'",
    );
    const texts: string[] = [];
    for (const { name } of tables.rows) {
      const rows = await client.query<{ text: string | null }>(
        `SELECT string_agg(t::text, E'\\n') AS text FROM "${name}" t`,
      );
      texts.push(rows.rows[0]?.text ?? "");
    }
    return texts.join("\n");
  } finally {
    await client.end();
  }
}

describe("binding", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["localhost", true],
    ["0.0.0.0", false],
    ["::", false],
    ["192.0.2.10", false],
  ])("%s is loopback: %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it("refuses a non-loopback address without auth, before listening", async () => {
    expect(() => checkBind({ host: "0.0.0.0", auth: false })).toThrow(
      "refusing to serve a non-loopback address without auth",
    );
    const store = await openSqliteStore({ path: ":memory:", clock: () => new Date() });
    try {
      await expect(
        startApiServer({
          host: "0.0.0.0",
          port: 0,
          auth: false,
          storeKind: store.kind,
          settings: DEFAULT_PARSE_SETTINGS,
          service: createEnvironmentService({ store }),
        }),
      ).rejects.toThrow("--host: refusing to serve a non-loopback address without auth");
    } finally {
      await store.close();
    }
  });
});
