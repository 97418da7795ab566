/**
 * A build context is content, not a path (issue 8 point 7, issue 13 defect 2), on the real
 * Docker engine and registry: a context folder registered with a relative path from its parent
 * builds and runs from another folder, in-process and through a real `envforge serve` (its own
 * worker); and a file whose stored bytes were swapped for others of the same size fails the
 * build with a message that names the file and no server path or size.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import { BASE_IMAGE, freePort, PLAIN_REGISTRY, registryProblem } from "../support/registry.js";
import { cli } from "../support/run-cli.js";
import { run as exec, DOCKER_CLI } from "../build/harness.js";

const Built = z.looseObject({
  state: z.string(),
  reason: z.string().nullable().optional(),
  image: z.looseObject({ name: z.string() }),
});

const docker = dockerClient();
const gate = engineGate(
  "Docker engine and registry",
  (await dockerProblem(docker)) ?? (await registryProblem()),
);
const repo = resolve(import.meta.dirname, "../..");

describe.skipIf(gate.skip)("build contexts stored as content", () => {
  let dir: string;
  let elsewhere: string;
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess | undefined;
  const marker = randomBytes(4).toString("hex");
  const images: string[] = [];

  beforeAll(() => {
    gate.require();
    dir = mkdtempSync(join(tmpdir(), "envforge-context-"));
    elsewhere = mkdtempSync(join(tmpdir(), "envforge-elsewhere-"));
    env = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "none.yaml"),
      ENVFORGE_REGISTRY: `${PLAIN_REGISTRY}/envforge-test/context-${marker}`,
      HOME: dir,
    };
    // The context folder `app`, registered as the relative path `app` from its parent.
    mkdirSync(join(dir, "app", "src"), { recursive: true });
    writeFileSync(join(dir, "app", "Dockerfile"), `FROM ${BASE_IMAGE}\nCOPY . /app/\n`);
    writeFileSync(join(dir, "app", "src", "data.txt"), `registered ${marker}\n`);
  });
  afterAll(async () => {
    server?.kill("SIGTERM");
    for (const image of images) await removeImage(docker, image);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    if (elsewhere !== undefined) rmSync(elsewhere, { recursive: true, force: true });
  });

  it("registers from the context's parent, then builds and runs from another folder", async () => {
    const created = await cli(["env", "create", "-f", "app", "-n", "ctx"], { env, cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    // The registering folder is gone: only the workspace's copy is left to build from.
    rmSync(join(dir, "app"), { recursive: true, force: true });

    const built = await cli(["env", "build", "ctx", "--json"], { env, cwd: elsewhere });
    expect(built.code, built.stderr).toBe(0);
    const build = Built.parse(JSON.parse(built.stdout));
    expect(build.state).toBe("succeeded");
    images.push(`${build.image.name}:latest`);

    const ran = await cli(["run", "ctx", "--no-workdir", "--", "cat", "/app/src/data.txt"], {
      env,
      cwd: "/",
    });
    expect(ran.stderr).not.toContain("ENOENT");
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toBe(`registered ${marker}\n`);
  });

  it("builds a context uploaded to a real envforge serve from another folder", async () => {
    mkdirSync(join(dir, "web"), { recursive: true });
    writeFileSync(join(dir, "web", "Dockerfile"), `FROM ${BASE_IMAGE}\nCOPY . /web/\n`);
    writeFileSync(join(dir, "web", "page.txt"), `served ${marker}\n`);
    const serverEnv = { ...env, ENVFORGE_HOME: join(dir, "server-home") };
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const seen: string[] = [];
    server = spawn(
      join(repo, "node_modules/.bin/tsx"),
      [join(repo, "src/cli/main.ts"), "serve", "--port", String(port)],
      // The server runs in a folder of its own: neither the client's nor the context's.
      { env: { ...process.env, ...serverEnv }, cwd: elsewhere, stdio: ["ignore", "pipe", "pipe"] },
    );
    server.stdout?.on("data", (chunk: Buffer) => seen.push(chunk.toString()));
    server.stderr?.on("data", (chunk: Buffer) => seen.push(chunk.toString()));
    await waitUntilUp(`${url}/healthz`);

    const created = await cli(["env", "create", "-f", "web", "-n", "web", "--server", url], {
      env,
      cwd: dir,
    });
    expect(created.code, created.stderr).toBe(0);
    rmSync(join(dir, "web"), { recursive: true, force: true });

    const built = await cli(["env", "build", "web", "--server", url, "--json"], {
      env,
      cwd: elsewhere,
    });
    expect(built.code, `${built.stderr}\n${seen.join("")}`).toBe(0);
    const build = Built.parse(JSON.parse(built.stdout));
    expect(build.state).toBe("succeeded");
    images.push(`${build.image.name}:latest`);
    const { stdout } = await exec(DOCKER_CLI, [
      "run",
      "--rm",
      "--network",
      "none",
      `${build.image.name}:latest`,
      "cat",
      "/web/page.txt",
    ]);
    expect(stdout).toBe(`served ${marker}\n`);
  });

  it("fails a build whose stored file was swapped for bytes of the same size, naming only the file", async () => {
    mkdirSync(join(dir, "swap"), { recursive: true });
    writeFileSync(join(dir, "swap", "Dockerfile"), `FROM ${BASE_IMAGE}\nCOPY . /swap/\n`);
    const registered = `genuine ${marker}\n`;
    writeFileSync(join(dir, "swap", "payload.txt"), registered);
    const created = await cli(["env", "create", "-f", "swap", "-n", "swap"], { env, cwd: dir });
    expect(created.code, created.stderr).toBe(0);

    const sha256 = `sha256:${sha256Hex(registered)}`;
    const impostor = `forged! ${marker}\n`;
    expect(Buffer.byteLength(impostor)).toBe(Buffer.byteLength(registered));
    const db = new Database(join(dir, "home", "envforge.db"));
    try {
      const changed = db
        .prepare("UPDATE context_content SET content = ? WHERE sha256 = ?")
        .run(Buffer.from(impostor), sha256).changes;
      expect(changed).toBe(1);
    } finally {
      db.close();
    }

    const built = await cli(["env", "build", "swap", "--json"], { env, cwd: elsewhere });
    expect(built.code).toBe(5);
    const said = `${built.stdout}\n${built.stderr}`;
    expect(said).toContain(
      `build context file "payload.txt" does not match the sha256 it was registered with (${sha256})`,
    );
    // Nothing about where the server keeps anything, or how big the files are.
    expect(said).not.toContain(dir);
    expect(said).not.toMatch(/\bbytes\b/);
    expect(said).not.toContain("ENOENT");
  });
});

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

async function waitUntilUp(url: string): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt += 1) {
    try {
      if ((await fetch(url)).ok) return;
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`${url} did not answer`);
}
