/**
 * `env diff` and its route against a real server on SQLite: the diff route names the changed
 * package, `versions/latest` and one environment's details answer, and the CLI's exit code is 0
 * for the same version, 1 for two that differ and 3 for a version that does not exist — both
 * in-process and with --server.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./cli-support.js";
import type { ApiHarness } from "./harness.js";
import { startApiHarness } from "./harness.js";

let api: ApiHarness;
let dir: string;

const V1 = "name: demo\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - numpy=1.26\n";
const V2 =
  "name: demo\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - numpy=2.0\n  - scipy\n";

async function register(text: string): Promise<void> {
  const response = await fetch(`${api.url}/v1/workspaces/default/environments/demo/versions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      kind: "conda",
      entry: "environment.yml",
      files: { "environment.yml": text },
    }),
  });
  expect(response.status, await response.clone().text()).toBeLessThan(300);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-diff-"));
  api = await startApiHarness({ kind: "sqlite", adminUrl: undefined });
  await register(V1);
  await register(V2);
});

afterAll(async () => {
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the diff route", () => {
  it("tells the changed, added and unchanged specs", async () => {
    const response = await fetch(
      `${api.url}/v1/workspaces/default/environments/demo/versions/1/diff/2`,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { same: boolean; definition: unknown[] };
    expect(body).toMatchObject({ name: "demo", from: 1, to: 2, same: false });
    expect(body.definition).toEqual([
      { part: "conda", key: "numpy", kind: "changed", from: "numpy=1.26", to: "numpy=2.0" },
      { part: "conda", key: "scipy", kind: "added", to: "scipy" },
    ]);
  });

  it("takes latest, and says a version compared with itself is the same", async () => {
    const response = await fetch(
      `${api.url}/v1/workspaces/default/environments/demo/versions/2/diff/latest`,
    );
    expect(await response.json()).toMatchObject({ from: 2, to: 2, same: true, definition: [] });
  });

  it("answers 404 for a version that does not exist", async () => {
    const response = await fetch(
      `${api.url}/v1/workspaces/default/environments/demo/versions/1/diff/9`,
    );
    expect(response.status).toBe(404);
  });
});

describe("the environment view routes", () => {
  it("GET …/versions/latest is the newest unarchived version", async () => {
    const response = await fetch(
      `${api.url}/v1/workspaces/default/environments/demo/versions/latest`,
    );
    expect(await response.json()).toMatchObject({ name: "demo", version: 2 });
  });

  it("GET …/environments/{name} has the labels and flags", async () => {
    const response = await fetch(`${api.url}/v1/workspaces/default/environments/demo`);
    expect(await response.json()).toMatchObject({
      name: "demo",
      latestVersion: 2,
      labels: { latest: 2 },
      curated: false,
      archived: false,
    });
  });

  it("GET /v1/session says the server takes no tokens", async () => {
    const response = await fetch(`${api.url}/v1/session`);
    expect(await response.json()).toEqual({ auth: false });
  });
});

describe("envforge env diff", () => {
  const env = () => ({ ENVFORGE_HOME: dir });

  it.each([
    {
      title: "same version: 0",
      args: ["demo@2", "demo"],
      code: 0,
      out: "demo@2 and demo@2 are the same",
    },
    {
      title: "different: 1",
      args: ["demo@1", "demo@2"],
      code: 1,
      out: "~ conda numpy: numpy=1.26 -> numpy=2.0",
    },
    { title: "unknown version: 3", args: ["demo@1", "demo@7"], code: 3, out: "" },
    { title: "bad reference: 2", args: ["demo@", "demo@2"], code: 2, out: "" },
  ])("with --server, $title", async ({ args, code, out }) => {
    const run = await cli(["env", "diff", ...args, "--server", api.url], { env: env(), cwd: dir });
    expect(run.code, run.stderr).toBe(code);
    expect(run.stdout).toContain(out);
  });

  it("prints the JSON form with the lock part", async () => {
    const run = await cli(["env", "diff", "demo@1", "demo@2", "--json", "--server", api.url], {
      env: env(),
      cwd: dir,
    });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      from: "demo@1",
      to: "demo@2",
      same: false,
      lock: { compared: false, changes: [] },
    });
  });

  it("works in-process on a local workspace the same way", async () => {
    const file = join(dir, "environment.yml");
    await writeFile(file, V1);
    const create = ["env", "create", "--file", file, "--name", "local"];
    expect((await cli(create, { env: env(), cwd: dir })).code).toBe(0);
    await writeFile(file, V2);
    expect((await cli(create, { env: env(), cwd: dir })).code).toBe(0);
    const same = await cli(["env", "diff", "local@1", "local@1"], { env: env(), cwd: dir });
    expect(same.code, same.stderr).toBe(0);
    const differ = await cli(["env", "diff", "local@1", "local@2"], { env: env(), cwd: dir });
    expect(differ.code, differ.stderr).toBe(1);
    expect(differ.stdout).toContain("+ conda scipy: scipy");
  });
});
