/**
 * A registry with htpasswd auth, end to end through the CLI: `envforge env build` pushes to it
 * with the credentials of a Docker config file, and the password (or its Basic form) is in none
 * of what envforge shows or keeps: the build's output and logs, `--json` answers, the settings,
 * the HTTP API of `envforge serve` on the same workspace, and the SQLite store's files.
 */
import { spawn } from "node:child_process";
import { LOOPBACK_DEFAULTS } from "../support/loopback-defaults.js";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import {
  AUTH_REGISTRY,
  BASE_IMAGE,
  freePort,
  readAuthRegistryCredentials,
  registryProblem,
} from "../support/registry.js";
import type { TestCredentials } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const repo = resolve(import.meta.dirname, "../..");
const docker = dockerClient();
const gate = engineGate(
  "Docker engine and registries",
  (await dockerProblem(docker)) ?? (await registryProblem()),
);
const Built = z.looseObject({
  id: z.string(),
  state: z.string(),
  image: z.looseObject({ name: z.string() }),
});

describe.skipIf(gate.skip)("a registry that needs a login", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let credentials: TestCredentials;
  let server: ChildProcess | undefined;
  const images: string[] = [];

  beforeAll(async () => {
    gate.require();
    credentials = await readAuthRegistryCredentials();
    dir = mkdtempSync(join(tmpdir(), "envforge-auth-secrets-"));
    const dockerConfig = join(dir, "docker");
    mkdirSync(dockerConfig);
    const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
    writeFileSync(
      join(dockerConfig, "config.json"),
      JSON.stringify({ auths: { [AUTH_REGISTRY]: { auth } } }),
    );
    env = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "config.yaml"),
      ENVFORGE_REGISTRY: `${AUTH_REGISTRY}/envforge-test/secrets-${randomBytes(4).toString("hex")}`,
      DOCKER_CONFIG: dockerConfig,
      HOME: dir,
    };
  });
  afterAll(async () => {
    server?.kill("SIGTERM");
    for (const image of images) await removeImage(docker, image);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("pushes with the Docker config's credentials and never shows or stores the password", async () => {
    const secrets = [
      credentials.password,
      Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64"),
    ];
    const seen: string[] = [];
    const run = async (args: readonly string[]) => {
      const result = await cli(args, { env, cwd: dir });
      seen.push(result.stdout, result.stderr);
      return result;
    };

    const dockerfile = join(dir, "Dockerfile");
    writeFileSync(
      dockerfile,
      `FROM ${BASE_IMAGE}\nRUN echo secret-test-${randomBytes(4).toString("hex")} > /t\n`,
    );
    expect((await run(["env", "create", "-f", dockerfile, "-n", "private"])).code).toBe(0);
    const built = await run(["env", "build", "private", "--json"]);
    expect(built.code, built.stderr).toBe(0);
    const build = Built.parse(JSON.parse(built.stdout));
    expect(build.state).toBe("succeeded");
    expect(build.image.name.startsWith(`${AUTH_REGISTRY}/envforge-test/secrets-`)).toBe(true);
    images.push(`${build.image.name}:latest`);

    await run(["build", "logs", build.id]);
    await run(["build", "show", build.id, "--json"]);
    await run(["env", "show", "private", "--image", "--json"]);
    await run(["config", "show", "--json"]);

    // The same workspace over HTTP, from a real `envforge serve` process.
    const port = await freePort();
    server = spawn(
      join(repo, "node_modules/.bin/tsx"),
      [join(repo, "src/cli/main.ts"), "serve", "--port", String(port)],
      { env: { ...process.env, ...LOOPBACK_DEFAULTS, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    server.stdout?.on("data", (chunk: Buffer) => seen.push(chunk.toString()));
    server.stderr?.on("data", (chunk: Buffer) => seen.push(chunk.toString()));
    const base = `http://127.0.0.1:${port}/v1/workspaces/default`;
    const answers = [
      `${base}/builds/${build.id}`,
      `${base}/builds/${build.id}/logs`,
      `${base}/environments/private/versions/1/image-details`,
    ];
    for (const url of answers) seen.push(await getWhenUp(url));

    const home = join(dir, "home");
    for (const file of readdirSync(home)) {
      if (file.startsWith("envforge.db"))
        seen.push(readFileSync(join(home, file)).toString("latin1"));
    }

    const everything = seen.join("\n");
    expect(everything).toContain(build.id);
    // The push was made as the config's user, and the output says so: the texts were read.
    expect(everything).toContain(`as ${credentials.username}`);
    expect(
      seen.filter((text) => text.includes("image-details") || text.includes("ingredients")),
    ).not.toHaveLength(0);
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});

/** GET once the server answers (it starts in a child process), at most ~20 s. */
async function getWhenUp(url: string): Promise<string> {
  for (let attempt = 0; attempt < 80; attempt += 1) {
    try {
      const response = await fetch(url);
      const text = await response.text();
      expect(response.status, text).toBe(200);
      return text;
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`${url} did not answer`);
}
