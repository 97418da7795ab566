/**
 * A real `envforge serve` whose Docker endpoint is a missing socket (SQLite, its own worker):
 * a build through the API fails with the reason every command gives, naming the endpoint, where
 * it came from and why, and the CLI following it over HTTP says the same.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { BASE_IMAGE, freePort } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const Failed = z.looseObject({ state: z.string(), reason: z.string().nullable() });
const repo = resolve(import.meta.dirname, "../..");

describe("envforge serve with an unreachable Docker endpoint", () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let url: string;
  let socket: string;
  const seen: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "envforge-serve-endpoint-"));
    socket = join(dir, "missing.sock");
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = spawn(
      join(repo, "node_modules/.bin/tsx"),
      [join(repo, "src/cli/main.ts"), "serve", "--port", String(port)],
      {
        env: {
          ...process.env,
          ENVFORGE_REGISTRY: "",
          ENVFORGE_DATABASE_URL: "",
          ENVFORGE_HOME: join(dir, "server-home"),
          ENVFORGE_CONFIG: join(dir, "missing.yaml"),
          HOME: dir,
          DOCKER_CONFIG: join(dir, "docker-config"),
          DOCKER_CONTEXT: "",
          DOCKER_HOST: `unix://${socket}`,
        },
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    server.stdout?.on("data", (chunk: Buffer) => seen.push(chunk.toString()));
    server.stderr?.on("data", (chunk: Buffer) => seen.push(chunk.toString()));
    await waitUntilUp(`${url}/healthz`, seen);
  });
  afterAll(() => {
    server?.kill("SIGTERM");
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("fails the build with the endpoint, its source and the reason", async () => {
    const file = join(dir, "envforge.yaml");
    writeFileSync(file, `name: unreachable\nimage: ${BASE_IMAGE}\n`);
    const env = { ENVFORGE_CONFIG: join(dir, "missing.yaml"), HOME: dir };
    const created = await cli(["env", "create", "-f", file, "-n", "unreachable", "--server", url], {
      env,
    });
    expect(created.code, created.stderr).toBe(0);

    const built = await cli(["env", "build", "unreachable", "--server", url, "--json"], { env });
    const expected = `cannot reach the Docker engine at unix://${socket} (from DOCKER_HOST): no socket at ${socket} (ENOENT)`;
    expect(built.code, `${built.stdout}\n${built.stderr}\n${seen.join("")}`).toBe(5);
    expect(built.stdout + built.stderr).toContain(expected);
    expect(built.stdout + built.stderr).not.toContain("BuildKit session");

    const list = await fetch(`${url}/v1/workspaces/default/builds`);
    expect(list.status).toBe(200);
    const body = (await list.json()) as { items?: unknown[] };
    const failed = z.array(Failed).parse(body.items);
    expect(failed).toEqual([expect.objectContaining({ state: "failed" })]);
    expect(failed[0]?.reason).toContain(expected);
  });
});

async function waitUntilUp(address: string, seen: readonly string[]): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt += 1) {
    try {
      if ((await fetch(address)).ok) return;
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`${address} did not answer:\n${seen.join("")}`);
}
