/**
 * `envforge sbom NAME`: the SBOM of a version's native image, read from the real registry by the
 * image's digest, lists every locked package; `-o` writes the same document to a file; a
 * version never built is a not-found error (exit 3) that says so.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { cli } from "../support/run-cli.js";
import { withLoopbackDefaults } from "../support/loopback-defaults.js";
import { BASE_IMAGE, deleteManifest } from "../support/registry.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { gate } from "../build/harness.js";
import { runRegistry } from "./harness.js";

const Built = z.looseObject({
  state: z.string(),
  image: z.object({ name: z.string(), digest: z.string() }),
});
const Details = z.looseObject({
  sbom: z.object({ digest: z.string(), mediaType: z.string() }).nullable(),
  ingredients: z.looseObject({
    lock: z.looseObject({
      platforms: z.array(
        z.looseObject({
          conda: z.array(
            z.looseObject({ name: z.string(), version: z.string(), sha256: z.string() }),
          ),
        }),
      ),
    }),
  }),
});
const Bom = z.looseObject({
  bomFormat: z.literal("CycloneDX"),
  specVersion: z.string(),
  components: z.array(
    z.looseObject({
      name: z.string(),
      version: z.string(),
      hashes: z.array(z.object({ alg: z.string(), content: z.string() })),
    }),
  ),
});

const REPO = resolve(import.meta.dirname, "../..");
let dir: string;
let channel: SeedChannel;
let env: NodeJS.ProcessEnv;
const pushed: z.infer<typeof Built>[] = [];

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  dir = await mkdtemp(join(tmpdir(), "envforge-sbom-cli-"));
  // Every conda definition gets the default python (3.10): a stand-in package answers for it.
  channel = await startSeedChannel({
    extra: [
      {
        name: "python",
        version: "3.10.0",
        noarch: "generic",
        files: [{ path: "share/python-stand-in.txt", content: "not a python\n" }],
      },
    ],
  });
  env = {
    ENVFORGE_HOME: join(dir, "home"),
    HOME: dir,
    ENVFORGE_REGISTRY: runRegistry(),
    ENVFORGE_BASE_IMAGE: BASE_IMAGE,
  };
});

afterAll(async () => {
  for (const build of pushed) {
    const [host = "", ...path] = build.image.name.split("/");
    await deleteManifest({
      registry: host,
      repository: path.join("/"),
      digest: build.image.digest,
    });
  }
  await channel?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(gate.skip)("envforge sbom", () => {
  it("prints the native image's SBOM, listing every locked package, and writes it with -o", async () => {
    const file = join(dir, "environment.yml");
    await writeFile(
      file,
      `name: hello\nchannels:\n  - ${channel.url}\ndependencies:\n  - envforge-hello\n  - zlib\n`,
    );
    const created = await cli(["env", "create", "-f", file], { env });
    expect(created.code, created.stderr).toBe(0);
    const result = await cli(["env", "build", "hello", "--json"], { env });
    expect(result.code, result.stderr).toBe(0);
    const build = Built.parse(JSON.parse(result.stdout));
    pushed.push(build);
    expect(build.state).toBe("succeeded");

    const shown = await cli(["env", "show", "hello@1", "--image", "--json"], { env });
    expect(shown.code, shown.stderr).toBe(0);
    const details = Details.parse(JSON.parse(shown.stdout));
    const locked = details.ingredients.lock.platforms[0]?.conda;
    expect(locked?.length).toBeGreaterThan(1);

    const sbom = await cli(["sbom", "hello@1"], { env });
    expect(sbom.code, sbom.stderr).toBe(0);
    const bom = Bom.parse(JSON.parse(sbom.stdout));
    expect(bom.specVersion).toBe("1.5");
    // Image details name the same document: its digest is the sha256 of what sbom printed.
    const printed = `sha256:${createHash("sha256").update(sbom.stdout.trimEnd()).digest("hex")}`;
    expect(details.sbom).toEqual({ digest: printed, mediaType: "application/vnd.cyclonedx+json" });
    expect(
      bom.components.map((c) => `${c.name} ${c.version} ${c.hashes[0]?.content ?? ""}`).sort(),
    ).toEqual((locked ?? []).map((p) => `${p.name} ${p.version} ${p.sha256}`).sort());

    // envforge serve on the same home answers image details with the same SBOM digest.
    const server = spawn(
      join(REPO, "node_modules/.bin/tsx"),
      [join(REPO, "src/cli/main.ts"), "serve", "--port", "0", "--json"],
      { env: { ...process.env, ...withLoopbackDefaults(env) }, stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      const lines = createInterface({ input: server.stdout });
      const first = await new Promise<string>((done) => lines.once("line", done));
      const { url } = z.object({ url: z.string() }).parse(JSON.parse(first));
      const served = await cli(["env", "show", "hello@1", "--image", "--json", "--server", url], {
        env,
      });
      expect(served.code, served.stderr).toBe(0);
      expect(JSON.parse(served.stdout)).toMatchObject({ sbom: { digest: printed } });
    } finally {
      server.kill("SIGTERM");
    }

    const out = join(dir, "hello.cdx.json");
    const written = await cli(["sbom", "hello", "-o", out], { env });
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toContain(out);
    expect(await readFile(out, "utf8")).toBe(sbom.stdout);
  }, 120_000);

  it("exits 3 for an image the Docker builder pushed: it has no SBOM attached", async () => {
    const file = join(dir, "docker.yaml");
    await writeFile(file, `name: plain\nimage: ${BASE_IMAGE}\nvariables:\n  PLAIN: "1"\n`);
    const docker = { ...env, ENVFORGE_BUILDER: "docker" };
    const created = await cli(["env", "create", "-f", file], { env: docker });
    expect(created.code, created.stderr).toBe(0);
    const result = await cli(["env", "build", "plain", "--json"], { env: docker });
    expect(result.code, result.stderr).toBe(0);
    const build = Built.parse(JSON.parse(result.stdout));
    pushed.push(build);
    const sbom = await cli(["sbom", "plain"], { env: docker });
    expect(sbom.code).toBe(3);
    expect(sbom.stderr).toContain(`${build.image.name}@${build.image.digest} has no SBOM attached`);
    const shown = await cli(["env", "show", "plain", "--image", "--json"], { env: docker });
    expect(JSON.parse(shown.stdout)).toMatchObject({
      existsInRegistry: true,
      sbom: null,
      image: { digest: build.image.digest },
    });
  }, 120_000);

  it("exits 3 and says so for a version never built", async () => {
    const file = join(dir, "unbuilt.yml");
    await writeFile(
      file,
      `name: unbuilt\nchannels:\n  - ${channel.url}\ndependencies:\n  - zlib\n`,
    );
    const created = await cli(["env", "create", "-f", file], { env });
    expect(created.code, created.stderr).toBe(0);
    const result = await cli(["sbom", "unbuilt@1"], { env });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("unbuilt version 1 has no SBOM");
    expect(result.stderr).toContain("never built");
    const shown = await cli(["env", "show", "unbuilt@1", "--image", "--json"], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ sbom: null, existsInRegistry: false });
  });
});
