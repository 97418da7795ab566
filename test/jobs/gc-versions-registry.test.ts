/**
 * Issue 13, point 8, on the real engine, the real registry on 127.0.0.1:5000 (deletes enabled)
 * and a SQLite workspace: `envforge gc --versions` applies the retention policy (labelled and
 * latest versions always kept) and `envforge gc --registry` deletes from the registry only the
 * `envforge_<hash>` images envforge made that no version points to; both with `--dry-run`.
 * Everything lives under this test's own registry path.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import {
  dockerClient,
  dockerProblem,
  engineGate,
  followProgress,
  pushImage,
  removeImage,
  tarBytes,
} from "../support/docker.js";
import { BASE_IMAGE, PLAIN_REGISTRY, registryProblem } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const docker = dockerClient();
const gate = engineGate(
  "Docker engine and registry",
  (await dockerProblem(docker)) ?? (await registryProblem()),
);

const Verdict = z.object({ name: z.string(), version: z.number() });
const Result = z.looseObject({
  versions: z.object({ deleted: z.array(Verdict), kept: z.array(Verdict) }).optional(),
  registry: z
    .object({
      images: z.array(z.object({ repository: z.string(), tag: z.string() })),
      skipped: z.array(z.object({ reference: z.string(), reason: z.string() })),
    })
    .optional(),
});
const Built = z.looseObject({ image: z.object({ name: z.string() }) });
const Versions = z.array(z.looseObject({ version: z.number() }));

describe.skipIf(gate.skip)("envforge gc --versions and --registry", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const path = `envforge-test/gc-${randomBytes(4).toString("hex")}`;
  const registry = `${PLAIN_REGISTRY}/${path}`;
  const made: string[] = [];

  beforeAll(() => {
    gate.require();
    dir = mkdtempSync(join(tmpdir(), "envforge-gc-registry-"));
    env = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "none.yaml"),
      ENVFORGE_REGISTRY: registry,
      HOME: dir,
    };
  });
  afterAll(async () => {
    for (const image of made) await removeImage(docker, image);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const run = async (args: string[]) => {
    const result = await cli(args, { env });
    expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
    return result;
  };
  async function register(name: string, marker: string): Promise<void> {
    const file = join(dir, `${name}-${marker}.Dockerfile`);
    writeFileSync(file, `FROM ${BASE_IMAGE}\nRUN echo ${marker} > /x\n`);
    await run(["env", "create", "-f", file, "-n", name]);
  }
  async function versions(name: string): Promise<number[]> {
    const listed = await run(["env", "versions", name, "--include-archived", "--json"]);
    const body: unknown = JSON.parse(listed.stdout);
    const items = Array.isArray(body)
      ? body
      : z.looseObject({ items: z.array(z.unknown()) }).parse(body).items;
    return Versions.parse(items).map((v) => v.version);
  }
  async function manifestStatus(repository: string, tag: string): Promise<number> {
    const response = await fetch(`http://${PLAIN_REGISTRY}/v2/${repository}/manifests/${tag}`, {
      method: "HEAD",
      headers: {
        accept:
          "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
      },
    });
    return response.status;
  }
  async function push(name: string, tag: string, dockerfile: string): Promise<void> {
    const context = await tarBytes({ Dockerfile: dockerfile });
    await followProgress(
      docker,
      await docker.buildImage(Readable.from([context]), {
        t: `${name}:${tag}`,
        networkmode: "host",
      }),
    );
    made.push(`${name}:${tag}`);
    await pushImage(docker, { name, tag });
  }

  it("keeps labelled, latest and the newest N versions; a dry run deletes nothing", async () => {
    for (const marker of ["a", "b", "c", "d", "e"]) await register("kept", `kept-${marker}`);
    await run(["env", "label", "kept@1", "prod"]);
    expect(await versions("kept")).toEqual([5, 4, 3, 2, 1]);

    const dry = await run(["gc", "--versions", "--keep", "2", "--dry-run", "--json"]);
    const plan = Result.parse(JSON.parse(dry.stdout)).versions;
    expect(plan?.deleted.map((v) => `${v.name}@${v.version}`)).toEqual(["kept@3", "kept@2"]);
    expect(plan?.kept.map((v) => v.version)).toEqual([5, 4, 1]);
    expect(await versions("kept")).toEqual([5, 4, 3, 2, 1]);

    const done = await run(["gc", "--versions", "--keep", "2"]);
    expect(done.stdout).toContain("removed 2 version(s) of workspace default");
    expect(await versions("kept")).toEqual([5, 4, 1]);
    const gone = await cli(["env", "show", "kept@2"], { env });
    expect(gone.code).toBe(3);
    // A second run finds nothing more to delete.
    const again = await run(["gc", "--versions", "--keep", "2", "--json"]);
    expect(Result.parse(JSON.parse(again.stdout)).versions?.deleted).toEqual([]);
  });

  it("refuses a policy that keeps nothing, or policy flags without --versions", async () => {
    const none = await cli(["gc", "--versions"], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("policy: names nothing to keep");
    const stray = await cli(["gc", "--keep", "3"], { env });
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain("--keep: only applies with --versions");
  });

  it("deletes from the registry only envforge images no version points to", async () => {
    await register("pushed", "pushed-1");
    const first = Built.parse(JSON.parse((await run(["env", "build", "pushed", "--json"])).stdout));
    made.push(`${first.image.name}:latest`);
    await register("pushed", "pushed-2");
    const second = Built.parse(
      JSON.parse((await run(["env", "build", "pushed", "--json"])).stdout),
    );
    made.push(`${second.image.name}:latest`);
    const repositoryOf = (name: string) => name.slice(`${PLAIN_REGISTRY}/`.length);
    const old = repositoryOf(first.image.name);
    const current = repositoryOf(second.image.name);

    // Not envforge's: a repository named like one but without envforge's label, and another name.
    const impostor = `${path}/envforge_${randomBytes(16).toString("hex")}`;
    await push(`${PLAIN_REGISTRY}/${impostor}`, "latest", `FROM ${BASE_IMAGE}\nLABEL x=y\n`);
    const other = `${path}/not-envforge`;
    await push(`${PLAIN_REGISTRY}/${other}`, "v1", `FROM ${BASE_IMAGE}\nLABEL x=z\n`);

    // Version 1 goes, so its image is pointed to by nothing.
    await run(["gc", "--versions", "--keep", "1"]);
    expect(await versions("pushed")).toEqual([2]);

    const dry = await run(["gc", "--registry", "--dry-run", "--json"]);
    const plan = Result.parse(JSON.parse(dry.stdout)).registry;
    expect(plan?.images).toEqual([expect.objectContaining({ repository: old, tag: "latest" })]);
    expect(plan?.skipped.map((s) => s.reference)).toEqual([`${PLAIN_REGISTRY}/${impostor}:latest`]);
    expect(await manifestStatus(old, "latest")).toBe(200);

    const done = await run(["gc", "--registry"]);
    expect(done.stdout).toContain(`removed 1 image(s) from registry ${registry}`);
    expect(await manifestStatus(old, "latest")).toBe(404);
    expect(await manifestStatus(current, "latest")).toBe(200);
    expect(await manifestStatus(impostor, "latest")).toBe(200);
    expect(await manifestStatus(other, "v1")).toBe(200);
  });
});
