/**
 * The CLI in-process against a temp ENVFORGE_HOME, and the same commands with --server against
 * a real server: every command's output (text and --json) must be the same either way, up to
 * times, ids and secrets. Plus `envforge serve` as a real process, and its refusal off loopback.
 */
import { spawn } from "node:child_process";
import { LOOPBACK_DEFAULTS } from "../support/loopback-defaults.js";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiHarness } from "./harness.js";
import { startApiHarness } from "./harness.js";
import type { CliRun } from "./cli-support.js";
import { cli, normalise } from "./cli-support.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** The session a user would type, in order. `{dir}` is the folder holding the files. */
const SESSION: readonly (readonly string[])[] = [
  [
    "env",
    "create",
    "--file",
    "{dir}/conda/environment.yml",
    "--name",
    "pytorch",
    "--tag",
    "team=vision",
  ],
  ["env", "create", "--file", "{dir}/conda/environment.yml", "--name", "pytorch"],
  ["env", "create", "--file", "{dir}/pip/requirements.txt", "--name", "pytorch", "--json"],
  ["env", "create", "--file", "{dir}/envs/envforge.yaml", "--name", "with-conda-file"],
  ["env", "list"],
  ["env", "list", "--json"],
  ["env", "list", "--curated"],
  ["env", "versions", "pytorch"],
  ["env", "show", "pytorch"],
  ["env", "show", "pytorch", "--version", "1", "--json"],
  ["env", "show", "pytorch", "--dockerfile"],
  ["env", "show", "pytorch", "--version", "1", "--conda"],
  ["env", "show", "pytorch", "--image", "--json"],
  ["env", "label", "pytorch", "prod", "--version", "1"],
  ["env", "show", "pytorch", "--label", "prod"],
  ["env", "update", "pytorch", "--version", "1", "--description", "first", "--tag", "stage=prod"],
  ["env", "archive", "pytorch", "--version", "2"],
  ["env", "versions", "pytorch", "--include-archived", "--json"],
  ["env", "restore", "pytorch", "--version", "2"],
  ["env", "label", "pytorch", "prod", "--remove"],
  ["env", "show", "pytorch", "--label", "prod"],
  ["env", "show", "nope", "--json"],
  ["env", "create", "--file", "{dir}/broken.yml", "--name", "broken"],
  ["env", "create", "--file", "{dir}/broken.yml", "--name", "broken", "--json"],
  ["workspace", "create", "team"],
  ["workspace", "list"],
  ["token", "create", "--name", "ci", "--scope", "write", "--workspace", "team"],
  ["token", "list", "--workspace", "team", "--json"],
];

async function writeDefinitions(dir: string): Promise<void> {
  const files: Record<string, string> = {
    "conda/environment.yml": "channels:\n  - defaults\ndependencies:\n  - python=3.10\n  - numpy\n",
    "pip/requirements.txt": "-r base.txt\nrequests\n",
    "pip/base.txt": "numpy==1.26.4\n",
    "envs/envforge.yaml": "image: 127.0.0.1:5000/base:1\nconda_file: ../shared/conda.yml\n",
    "shared/conda.yml": "channels: [defaults]\ndependencies: [python=3.10, scipy]\n",
    "broken.yml": "dependencies:\n  - numpy>>1\n",
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

describe("the CLI, in-process and against a server", () => {
  let dir: string;
  let api: ApiHarness;
  const runs: { local: CliRun[]; server: CliRun[] } = { local: [], server: [] };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "envforge-cli-"));
    await writeDefinitions(join(dir, "defs"));
    api = await startApiHarness({ kind: "sqlite", adminUrl: undefined, curated: true });
    const local = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_REGISTRY: "127.0.0.1:5000/envforge",
    };
    const server = { ENVFORGE_HOME: join(dir, "unused") };
    for (const argv of SESSION) {
      const args = argv.map((arg) => arg.replace("{dir}", "defs"));
      runs.local.push(await cli(args, { env: local, cwd: dir }));
      runs.server.push(await cli([...args, "--server", api.url], { env: server, cwd: dir }));
    }
  });
  afterAll(async () => {
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(SESSION.map((argv, i) => [argv.join(" "), i] as const))(
    "envforge %s: same output and exit code with and without --server",
    (_title, i) => {
      const local = runs.local[i];
      const server = runs.server[i];
      expect(normalise(server?.stdout ?? "")).toBe(normalise(local?.stdout ?? ""));
      expect(normalise(server?.stderr ?? "")).toBe(normalise(local?.stderr ?? ""));
      expect(server?.code).toBe(local?.code);
    },
  );

  it("prints what a user needs to read", () => {
    const at = (i: number): CliRun => {
      const run = runs.local[i];
      if (run === undefined) throw new Error(`no run ${i}`);
      return run;
    };
    expect(at(0).stdout).toMatch(
      /^registered pytorch version 1 \(envforge_[0-9a-f]{32}\) in workspace default\n$/,
    );
    expect(at(1).stdout).toMatch(/^unchanged: pytorch version 1 already has this definition/);
    expect(JSON.parse(at(2).stdout)).toMatchObject({ created: true, version: { version: 2 } });
    expect(at(4).stdout).toMatch(/^NAME +LATEST +ARCHIVED +UPDATED\npytorch +2 +no/);
    expect(at(6).stdout).toMatch(/^NAME +VERSION +DESCRIPTION\nenvforge-/);
    expect(at(10).stdout).toMatch(/^# envforge image envforge_[0-9a-f]{32}/);
    expect(at(11).stdout).toContain("- numpy");
    expect(at(14).stdout).toContain("labels:      prod");
    expect(at(20)).toMatchObject({ code: 3 });
    expect(at(20).stderr).toBe(
      'envforge: environment "pytorch" in workspace "default" has no label "prod"\n',
    );
    expect(at(21).code).toBe(3);
    expect(JSON.parse(at(21).stdout)).toMatchObject({ error: "not-found" });
    expect(at(22).code).toBe(2);
    expect(at(22).stderr).toContain("defs/broken.yml:2:5: dependencies[0]: not a valid match spec");
    expect(at(23).code).toBe(2);
    expect(JSON.parse(at(23).stdout)).toMatchObject({
      error: "validation",
      problems: [{ file: "defs/broken.yml", line: 2, key: "dependencies[0]" }],
    });
    expect(at(26).stdout).toMatch(/^efk_[A-Za-z0-9_-]{43}\n$/);
    expect(at(26).stderr).toContain("shown only this once");
  });
});

describe("the CLI against a server with auth", () => {
  let api: ApiHarness;
  let dir: string;
  beforeAll(async () => {
    api = await startApiHarness({ kind: "sqlite", adminUrl: undefined, auth: true });
    dir = await mkdtemp(join(tmpdir(), "envforge-cli-auth-"));
    await writeFile(join(dir, "environment.yml"), "dependencies: [python=3.10, numpy]\n");
  });
  afterAll(async () => {
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("takes the server and token from ENVFORGE_SERVER and ENVFORGE_TOKEN, and exits 6 or 7 on 401 or 403", async () => {
    const read = (await api.service.createToken({ name: "r", scopes: ["read"] })).secret;
    const write = (await api.service.createToken({ name: "w", scopes: ["write"] })).secret;
    const create = ["env", "create", "-f", "environment.yml", "-n", "demo"];
    const as = (token?: string) => ({
      env: { ENVFORGE_SERVER: api.url, ...(token === undefined ? {} : { ENVFORGE_TOKEN: token }) },
      cwd: dir,
    });
    const anonymous = await cli(["env", "list"], as());
    expect(anonymous.code).toBe(6);
    expect(anonymous.stderr).toContain("envforge: this server needs an API token");
    const reader = await cli(create, as(read));
    expect(reader.code).toBe(7);
    expect(reader.stderr).toContain("lacks the write scope");
    const writer = await cli(create, as(write));
    expect(writer.code).toBe(0);
    expect(writer.stdout).toMatch(/^registered demo version 1/);
    expect((await cli(["env", "list", "--json"], as(read))).code).toBe(0);
  });
});

describe("envforge serve", () => {
  it("refuses a non-loopback address without --auth", async () => {
    const home = await mkdtemp(join(tmpdir(), "envforge-serve-"));
    try {
      const run = await cli(["serve", "--host", "0.0.0.0", "--port", "0"], {
        env: { ENVFORGE_HOME: home },
        cwd: home,
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        "envforge: --host: refusing to serve a non-loopback address without auth",
      );
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("serves the local workspace until SIGTERM, with auth when asked", async () => {
    const home = await mkdtemp(join(tmpdir(), "envforge-serve-"));
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(REPO, "src/cli/main.ts"),
        "serve",
        "--port",
        "0",
        "--auth",
        "--json",
      ],
      {
        cwd: REPO,
        env: { ...process.env, ...LOOPBACK_DEFAULTS, ENVFORGE_HOME: home },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once("line", resolve);
        child.once("exit", (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const url = String(Reflect.get(Object(JSON.parse(line)), "url"));
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({
        status: "ok",
        store: "sqlite",
      });
      expect((await fetch(`${url}/v1/workspaces`)).status).toBe(401);
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      await rm(home, { recursive: true, force: true });
    }
  });
});
