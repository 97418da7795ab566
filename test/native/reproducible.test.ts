/**
 * Reproducible across processes and machines: the same lock built by separate processes with
 * their own empty homes, under other time zones, umasks and clocks (one build runs under
 * libfaketime in 2031), and once inside a container (the CI base image with the host's node, host
 * networking), gives the same manifest digest.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { definitionHash } from "../../src/definition/definition-hash.js";
import { BASE_IMAGE, deleteManifest } from "../support/registry.js";
import { REPO_ROOT, startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { DOCKER_CLI, gate, imageDefinition } from "../build/harness.js";
import { runRegistry } from "./harness.js";

const run = promisify(execFile);
const Outcome = z.object({
  imageName: z.string(),
  digest: z.string(),
  cacheHit: z.boolean(),
  startedAt: z.string(),
});
/** The other clock: libfaketime starts the child's clock there (in its own time zone) and lets it run. */
const FAKE_TIME = "2031-06-15 12:00:00";
type Outcome = z.infer<typeof Outcome>;

let channel: SeedChannel;
let scratch: string;
const pushed: Outcome[] = [];

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  channel = await startSeedChannel({ nonce: randomBytes(8).toString("hex") });
  scratch = await mkdtemp(join(tmpdir(), "envforge-reproducible-"));
});

afterAll(async () => {
  for (const outcome of pushed) {
    const [registry = "", ...path] = outcome.imageName.split("/");
    await deleteManifest({ registry, repository: path.join("/"), digest: outcome.digest });
  }
  await channel?.close();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

/** Writes the request for build-once.ts into a fresh home and returns its path. */
async function request(): Promise<{ file: string; home: string }> {
  const home = await mkdtemp(join(scratch, "home-"));
  const names = ["zlib", "envforge-hello", "seed-alpha=1.0.0"];
  const definition = imageDefinition({
    conda: { channels: [channel.url], dependencies: names, pip: [], variables: {} },
    variables: { ENVFORGE_TEST: "reproducible" },
  });
  const hash = definitionHash(definition);
  const file = join(home, "request.json");
  await writeFile(
    file,
    JSON.stringify({
      definition,
      definitionHash: hash,
      lock: channel.lock(hash, names),
      registry: runRegistry(),
      home,
    }),
  );
  return { file, home };
}

function parsed(stdout: string): Outcome {
  const outcome = Outcome.parse(JSON.parse(stdout.trim().split("\n").pop() ?? ""));
  pushed.push(outcome);
  return outcome;
}

async function onHost(tz: string, umask: string, clock: "real" | "fake"): Promise<Outcome> {
  const { file } = await request();
  const node = `${clock === "fake" ? `faketime '${FAKE_TIME}' ` : ""}node`;
  const { stdout } = await run(
    "sh",
    [
      "-c",
      `umask ${umask} && exec ${node} --import tsx test/native/build-once.ts "$1"`,
      "sh",
      file,
    ],
    { cwd: REPO_ROOT, env: { PATH: process.env["PATH"] ?? "", TZ: tz, HOME: scratch } },
  );
  return parsed(stdout);
}

describe.skipIf(gate.skip)("native images are reproducible", () => {
  it("gives one manifest digest from separate processes, homes, time zones, umasks, clocks and a container", async () => {
    const first = await onHost("UTC", "022", "real");
    const second = await onHost("Pacific/Kiritimati", "077", "fake");
    // The second build really ran under the other clock (faketime from scripts/ci/oci-tools.sh),
    // the first under the real one: without this the clock would not be shown to differ.
    expect(second.startedAt.slice(0, 4)).toBe("2031");
    expect(first.startedAt.slice(0, 4)).toBe(String(new Date().getUTCFullYear()));
    expect(first.cacheHit).toBe(false);
    expect(second.cacheHit).toBe(false);
    expect(second.imageName).not.toBe(first.imageName);
    expect(second.digest).toBe(first.digest);

    // Inside a container of the CI base image: another root file system, the host's node.
    const { file, home } = await request();
    const { stdout } = await run(
      DOCKER_CLI,
      [
        "run",
        "--rm",
        "--network",
        "host",
        "-e",
        "TZ=America/St_Johns",
        "-e",
        "HOME=/tmp",
        "-v",
        "/usr/bin/node:/usr/bin/node:ro",
        "-v",
        `${REPO_ROOT}:${REPO_ROOT}:ro`,
        "-v",
        `${home}:${home}`,
        "-w",
        REPO_ROOT,
        BASE_IMAGE,
        "sh",
        "-c",
        `umask 027 && exec node --import tsx test/native/build-once.ts ${file}`,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const third = parsed(stdout);
    expect(third.cacheHit).toBe(false);
    expect(third.digest).toBe(first.digest);
  }, 240_000);
});
