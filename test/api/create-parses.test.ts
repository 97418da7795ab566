/**
 * `envforge env create` reads each file of a definition once: in-process the entry is parsed
 * where its references are collected and never again; through a server the client parses the
 * entry once (to learn which files to send) and the server parses every file once. No
 * temporary folder is written on either side. The parsers are spied on (wrapped, still real),
 * so a second parse anywhere on the path shows in the counts.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ApiHarness } from "./harness.js";
import { startApiHarness } from "./harness.js";
import { cli } from "./cli-support.js";
import type * as CondaModule from "../../src/definition/conda-environment.js";
import type * as EnvforgeModule from "../../src/definition/envforge-file.js";
import type * as PipModule from "../../src/definition/pip-requirements.js";

const parses = vi.hoisted(() => new Map<string, number>());

function count(kind: string, path: string): void {
  const key = `${kind} ${path}`;
  parses.set(key, (parses.get(key) ?? 0) + 1);
}

vi.mock("../../src/definition/envforge-file.js", async (importOriginal) => {
  const real = await importOriginal<typeof EnvforgeModule>();
  return {
    ...real,
    parseEnvforgeFile: (...args: Parameters<typeof real.parseEnvforgeFile>) => {
      count("envforge", args[0].path);
      return real.parseEnvforgeFile(...args);
    },
  };
});
vi.mock("../../src/definition/conda-environment.js", async (importOriginal) => {
  const real = await importOriginal<typeof CondaModule>();
  return {
    ...real,
    parseCondaEnvironment: (...args: Parameters<typeof real.parseCondaEnvironment>) => {
      count("conda", args[0].path);
      return real.parseCondaEnvironment(...args);
    },
  };
});
vi.mock("../../src/definition/pip-requirements.js", async (importOriginal) => {
  const real = await importOriginal<typeof PipModule>();
  return {
    ...real,
    parsePipRequirements: (...args: Parameters<typeof real.parsePipRequirements>) => {
      count("pip", args[0].path);
      return real.parsePipRequirements(...args);
    },
  };
});

let dir: string;
let home: string;
let api: ApiHarness;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-parses-"));
  home = join(dir, "home");
  const files: Record<string, string> = {
    "envs/envforge.yaml": "image: 127.0.0.1:5000/base:1\nconda_file: conda.yml\n",
    "envs/conda.yml": "channels: [defaults]\ndependencies: [python=3.10, scipy]\n",
    "climbs/envforge.yaml": "image: 127.0.0.1:5000/base:1\nconda_file: ../shared/conda.yml\n",
    "shared/conda.yml": "channels: [defaults]\ndependencies: [python=3.11]\n",
    "pip/requirements.txt": "-r base.txt\nrequests\n",
    "pip/base.txt": "numpy==1.26.4\n",
    "conda/environment.yml": "channels: [defaults]\ndependencies: [python=3.10, numpy]\n",
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  api = await startApiHarness({ kind: "sqlite", adminUrl: undefined });
}, 60_000);

afterAll(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  parses.clear();
});

async function uploadFolders(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith("envforge-upload-"));
}

async function create(file: string, name: string, server?: string): Promise<void> {
  const run = await cli(
    [
      "env",
      "create",
      "--file",
      join(dir, file),
      "--name",
      name,
      ...(server === undefined ? [] : ["--server", server]),
    ],
    { env: { ENVFORGE_HOME: home }, cwd: dir },
  );
  expect(run.stderr).not.toContain("error");
  expect(run.code).toBe(0);
}

function counts(): Record<string, number> {
  return Object.fromEntries([...parses].sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe("env create parses each file once", () => {
  it.each<[string, string, Record<string, number>, Record<string, number>]>([
    [
      "envforge.yaml with a conda_file",
      "envs/envforge.yaml",
      { "conda conda.yml": 1, "envforge envforge.yaml": 1 },
      // The client parses the entry to learn what to send; the server parses what it received.
      { "conda conda.yml": 1, "envforge envforge.yaml": 2 },
    ],
    [
      "pip requirements with an include",
      "pip/requirements.txt",
      { "pip requirements.txt": 1 },
      { "pip requirements.txt": 2 },
    ],
    [
      "a conda environment.yml",
      "conda/environment.yml",
      { "conda environment.yml": 1 },
      { "conda environment.yml": 1 },
    ],
  ])("%s", async (_title, file, local, throughServer) => {
    const before = await uploadFolders();
    await create(file, `local-${parses.size}-${file.split("/")[0] ?? ""}`);
    expect(counts()).toEqual(local);
    parses.clear();
    await create(file, `server-${file.split("/")[0] ?? ""}`, api.url);
    expect(counts()).toEqual(throughServer);
    expect(await uploadFolders()).toEqual(before);
  });

  it("parses the entry again only when its conda_file lies above its folder (the map's root moves)", async () => {
    await create("climbs/envforge.yaml", "climbs");
    // Collected under its own folder, then keyed under the common folder of both files.
    expect(counts()).toEqual({
      "conda shared/conda.yml": 1,
      "envforge climbs/envforge.yaml": 1,
      "envforge envforge.yaml": 1,
    });
  });
});
