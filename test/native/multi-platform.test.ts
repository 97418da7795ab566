/**
 * A lock of two platforms (linux-64 and linux-aarch64) built natively on the real registry: one
 * image per platform, each on its base's manifest for the platform (picked from the base's index
 * by digest), and an OCI image index over them under the tag, pushed last. skopeo reads the index
 * and the arm64 image; docker runs the amd64 one; the noarch packages' layers are the same blobs
 * in both images and are sent once. The same through the CLI as docs/builds.md tells it:
 * `envforge lock --platform linux-64 --platform linux-aarch64`, `env create --lock`, `env build`,
 * then `envforge sbom` and `envforge run` on the index.
 *
 * The CI base image is amd64 only, so the test makes its own two-platform base: the base image's
 * manifest (blobs mounted) and a tiny arm64 image (one layer, config architecture arm64) in one
 * repository, with an index holding both.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import * as tarStream from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { referrersTag } from "../../src/builders/native/native-builder.js";
import { platformGroups } from "../../src/builders/native/platform-groups.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import type { Definition } from "../../src/definition/definition.js";
import type { Lock } from "../../src/definition/lock.js";
import { parseImageReference } from "../../src/definition/image-reference.js";
import { openRegistry } from "../../src/image/index.js";
import type { Registry } from "../../src/image/index.js";
import { removeImage } from "../support/docker.js";
import { cli } from "../support/run-cli.js";
import {
  BASE_IMAGE,
  deleteManifest,
  PLAIN_REGISTRY,
  uniqueRepository,
} from "../support/registry.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { docker, DOCKER_CLI, gate, imageDefinition, shell } from "../build/harness.js";
import { openNativeHarness, runRegistry } from "./harness.js";
import type { NativeHarness } from "./harness.js";

const run = promisify(execFile);
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

const Descriptor = z.object({ mediaType: z.string(), digest: z.string(), size: z.number() });
const Index = z.object({
  mediaType: z.literal(OCI_INDEX),
  manifests: z.array(
    Descriptor.extend({ platform: z.object({ os: z.string(), architecture: z.string() }) }),
  ),
});
const Manifest = z.object({ config: Descriptor, layers: z.array(Descriptor) });
const Inspect = z.object({
  Digest: z.string(),
  Architecture: z.string(),
  Os: z.string(),
  Layers: z.array(z.string()),
});

let channel: SeedChannel;
let harness: NativeHarness;
let registry: Registry;
let scratch: string;
/** Manifests this file pushed besides the builds' indexes: deleted at the end. */
const made: { repository: string; digest: string }[] = [];

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  scratch = await mkdtemp(join(tmpdir(), "envforge-multi-platform-"));
  registry = openRegistry({ env: { HOME: scratch } });
  channel = await startSeedChannel({
    nonce: randomBytes(8).toString("hex"),
    extra: [
      // Every conda definition gets the default python (3.10): a noarch stand-in answers for it
      // on both platforms (the channel has no linux-aarch64 subdir, only noarch).
      {
        name: "python",
        version: "3.10.0",
        noarch: "generic",
        files: [{ path: "share/python-stand-in.txt", content: "not a python\n" }],
      },
      {
        name: "envforge-arm-tool",
        subdir: "linux-aarch64",
        files: [{ path: "bin/envforge-arm-tool", content: "#!/bin/sh\necho arm64\n", mode: 0o755 }],
      },
    ],
  });
  harness = await openNativeHarness();
});

afterAll(async () => {
  for (const { repository, digest } of made) {
    await deleteManifest({ registry: PLAIN_REGISTRY, repository, digest });
  }
  await harness?.cleanup();
  await channel?.close();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

async function tarOf(files: Readonly<Record<string, string>>): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const [name, content] of Object.entries(files)) {
    pack.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function entriesOf(gzipped: Uint8Array): Promise<string[]> {
  const { gunzipSync } = await import("node:zlib");
  const extract = tarStream.extract();
  const names: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      names.push(header.name);
      stream.on("end", next);
      stream.resume();
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  extract.end(gunzipSync(gzipped));
  await done;
  return names;
}

/**
 * `127.0.0.1:5000/envforge-test/multiarch-base-<hex>@<index digest>`: the CI base image for
 * linux/amd64 (its blobs mounted, its manifest bytes as they are) and a one-layer arm64 image.
 */
async function twoPlatformBase(): Promise<{ reference: string; armLayer: string }> {
  const repository = uniqueRepository("multiarch-base");
  const to = { registry: PLAIN_REGISTRY, repository };
  const base = parseImageReference(BASE_IMAGE);
  const from = { registry: PLAIN_REGISTRY, repository: base.repository };
  const amd64 = await registry.getManifest(BASE_IMAGE);
  const amd64Manifest = Manifest.parse(JSON.parse(new TextDecoder().decode(amd64.bytes)));
  for (const blob of [amd64Manifest.config, ...amd64Manifest.layers]) {
    const bytes = async function* (): AsyncIterable<Uint8Array> {
      yield await registry.getBlob(from, blob.digest);
    };
    await registry.uploadBlob(
      to,
      { digest: blob.digest, size: blob.size, open: bytes },
      { mountFrom: base.repository },
    );
  }
  await registry.putManifest(
    { ...to, digest: amd64.digest },
    { mediaType: amd64.mediaType, bytes: amd64.bytes },
  );
  made.push({ repository, digest: amd64.digest });

  const tar = await tarOf({ "etc/envforge-base-arch": "arm64\n" });
  const layer = gzipSync(tar, { level: 9 });
  const config = new TextEncoder().encode(
    JSON.stringify({
      architecture: "arm64",
      os: "linux",
      config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
      rootfs: { type: "layers", diff_ids: [sha256(tar)] },
    }),
  );
  await registry.uploadBlob(to, { digest: sha256(layer), size: layer.length, open: () => layer });
  await registry.uploadBlob(to, {
    digest: sha256(config),
    size: config.length,
    open: () => config,
  });
  const arm64 = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: sha256(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
          digest: sha256(layer),
          size: layer.length,
        },
      ],
    }),
  );
  const arm64Digest = await registry.putManifest(
    { ...to, digest: sha256(arm64) },
    { mediaType: OCI_MANIFEST, bytes: arm64 },
  );
  made.push({ repository, digest: arm64Digest });
  const index = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        {
          mediaType: amd64.mediaType,
          digest: amd64.digest,
          size: amd64.bytes.length,
          platform: { architecture: "amd64", os: "linux" },
        },
        {
          mediaType: OCI_MANIFEST,
          digest: arm64Digest,
          size: arm64.length,
          platform: { architecture: "arm64", os: "linux" },
        },
      ],
    }),
  );
  const indexDigest = await registry.putManifest(
    { ...to, tag: "bookworm" },
    { mediaType: OCI_INDEX, bytes: index },
  );
  made.push({ repository, digest: indexDigest });
  return { reference: `${PLAIN_REGISTRY}/${repository}@${indexDigest}`, armLayer: sha256(layer) };
}

function twoPlatformLock(hash: string): Lock {
  const one = channel.lock(hash, ["zlib", "envforge-hello", "seed-alpha=1.0.0"]);
  const arm = channel.lock(hash, ["envforge-arm-tool", "envforge-hello", "seed-alpha=1.0.0"]);
  const [amd64] = one.platforms;
  const [aarch64] = arm.platforms;
  if (amd64 === undefined || aarch64 === undefined) throw new Error("the seed lock is empty");
  return { ...one, platforms: [amd64, { ...aarch64, platform: "linux-aarch64" }] };
}

function definitionOn(base: string): Definition {
  return imageDefinition({
    base: { kind: "image", image: parseImageReference(base), defaulted: false },
    conda: {
      channels: [channel.url],
      dependencies: ["envforge-hello", "seed-alpha"],
      pip: [],
      variables: {},
    },
    variables: { ENVFORGE_TEST: "multi-platform" },
  });
}

async function skopeo(args: readonly string[]): Promise<string> {
  const { stdout } = await run("skopeo", ["inspect", "--tls-verify=false", ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

describe.skipIf(gate.skip)("the native builder for several platforms", () => {
  it("pushes an image index of a linux/amd64 and a linux/arm64 image that share their noarch layers", async () => {
    const base = await twoPlatformBase();
    const definition = definitionOn(base.reference);
    const hash = definitionHash(definition);
    const lock = twoPlatformLock(hash);
    const lines: string[] = [];
    const outcome = harness.track(
      await harness.builder.build({
        definition,
        definitionHash: hash,
        lock,
        registry: runRegistry(),
        onLog: (line) => lines.push(line.text),
      }),
    );
    expect(outcome.cacheHit).toBe(false);
    const image = `${outcome.imageName}:latest`;
    const repository = outcome.imageName.slice(PLAIN_REGISTRY.length + 1);

    // The tag serves the index, and the index names one image per platform.
    const raw = await skopeo(["--raw", `docker://${image}`]);
    expect(sha256(new TextEncoder().encode(raw))).toBe(outcome.digest);
    const index = Index.parse(JSON.parse(raw));
    expect(index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`)).toEqual([
      "linux/amd64",
      "linux/arm64",
    ]);
    const manifests = await Promise.all(
      index.manifests.map(async (m) => {
        const got = await registry.getManifest(`${outcome.imageName}@${m.digest}`);
        expect(got.mediaType).toBe(OCI_MANIFEST);
        return Manifest.parse(JSON.parse(new TextDecoder().decode(got.bytes)));
      }),
    );
    for (const m of index.manifests) made.push({ repository, digest: m.digest });
    const [amd64, arm64] = manifests;
    if (amd64 === undefined || arm64 === undefined) throw new Error("two manifests expected");

    // skopeo picks each platform's image from the index.
    const onHost = Inspect.parse(JSON.parse(await skopeo([`docker://${image}`])));
    expect(onHost.Architecture).toBe("amd64");
    const onArm = Inspect.parse(
      JSON.parse(await skopeo(["--override-arch", "arm64", `docker://${image}`])),
    );
    expect(onArm).toMatchObject({ Os: "linux", Architecture: "arm64" });
    // skopeo names the digest of what the tag serves (the index), and the arm64 image's layers.
    expect(onArm.Digest).toBe(outcome.digest);
    expect(onArm.Layers).toEqual(arm64.layers.map((l) => l.digest));
    // The arm64 image stands on the arm64 base's one layer, not on the amd64 base.
    expect(onArm.Layers[0]).toBe(base.armLayer);
    const armConfig = z
      .object({ architecture: z.string(), os: z.string() })
      .parse(
        JSON.parse(
          new TextDecoder().decode(
            await registry.getBlob({ registry: PLAIN_REGISTRY, repository }, arm64.config.digest),
          ),
        ),
      );
    expect(armConfig).toEqual({ architecture: "arm64", os: "linux" });

    // The layers of conda-meta/history and of the noarch packages are the same blobs in both
    // images; the platform's own packages (zlib, envforge-arm-tool) are not.
    const ours = (m: z.infer<typeof Manifest>, baseLayers: number): string[] =>
      m.layers.slice(baseLayers).map((l) => l.digest);
    const amd64Ours = ours(amd64, amd64.layers.length - platformGroups(lock, "linux-64").length);
    const arm64Ours = ours(arm64, 1);
    expect(amd64Ours).toHaveLength(platformGroups(lock, "linux-64").length);
    expect(arm64Ours).toHaveLength(platformGroups(lock, "linux-aarch64").length);
    const shared = amd64Ours.filter((digest) => arm64Ours.includes(digest));
    const sharedGroups = platformGroups(lock, "linux-64").filter(
      (g) => g.name === "conda-meta-history" || g.name.startsWith("noarch-"),
    );
    expect(sharedGroups.length).toBeGreaterThanOrEqual(2);
    expect(shared).toHaveLength(sharedGroups.length);
    expect(new Set([...amd64Ours, ...arm64Ours]).size).toBe(
      amd64Ours.length + arm64Ours.length - shared.length,
    );
    // Each blob went over the wire once: the shared ones with the first platform only (base
    // layers were mounted from the base's repository, configs are not counted).
    expect(outcome.pushedBlobs).toBe(new Set([...amd64Ours, ...arm64Ours]).size);

    // The arm64 image's own layer holds the arm64 package, linked into the prefix.
    const armOnly = arm64.layers.find(
      (l) => l.digest !== base.armLayer && !shared.includes(l.digest),
    );
    if (armOnly === undefined) throw new Error("the arm64 image has no layer of its own");
    const entries = await entriesOf(
      await registry.getBlob({ registry: PLAIN_REGISTRY, repository }, armOnly.digest),
    );
    expect(entries).toContain("opt/envforge/env/bin/envforge-arm-tool");

    // The engine on this amd64 machine pulls the index and runs the amd64 image.
    await run(DOCKER_CLI, ["pull", image]);
    try {
      const stdout = await shell(
        image,
        'envforge-hello; cut -d" " -f1,2 /opt/envforge/env/share/seed-alpha/version.txt; echo "$ENVFORGE_TEST"',
      );
      expect(stdout).toBe("hello from /opt/envforge/env\nseed-alpha 1.0.0\nmulti-platform\n");
    } finally {
      await removeImage(docker, image);
    }
    expect(
      lines.some((line) => line.startsWith(`index ${outcome.imageName}@${outcome.digest}`)),
    ).toBe(true);

    // An SBOM for each platform's image, and one for the index (what `envforge sbom` reads).
    for (const digest of [outcome.digest, ...index.manifests.map((m) => m.digest)]) {
      const referrers = await registry.manifestExists(
        `${outcome.imageName}:${referrersTag(digest)}`,
      );
      expect(referrers.exists).toBe(true);
    }

    // Built again: one HEAD of the tag finds the index.
    const again = await harness.builder.build({
      definition,
      definitionHash: hash,
      lock,
      registry: outcome.imageName.slice(0, outcome.imageName.lastIndexOf("/")),
    });
    expect(again).toMatchObject({ cacheHit: true, digest: outcome.digest });
  }, 240_000);

  it("refuses a base that is one image for another platform, naming the base and the platform", async () => {
    const definition = definitionOn(BASE_IMAGE);
    const hash = definitionHash(definition);
    const refused = await harness.builder
      .build({
        definition,
        definitionHash: hash,
        lock: twoPlatformLock(hash),
        registry: runRegistry(),
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(String((refused as Error).message)).toContain(
      `base image ${BASE_IMAGE} is one image for linux/amd64, and the lock asks for linux/arm64 too`,
    );
  }, 120_000);

  it("builds the index by the documented path: lock --platform twice, env create --lock, env build", async () => {
    const base = await twoPlatformBase();
    const dir = join(scratch, "cli");
    const env: NodeJS.ProcessEnv = {
      ENVFORGE_HOME: join(dir, "home"),
      HOME: dir,
      ENVFORGE_REGISTRY: runRegistry(),
    };
    const yml = join(scratch, "environment.yml");
    await writeFile(
      yml,
      `name: two-platforms\nchannels:\n  - ${channel.url}\ndependencies:\n  - envforge-hello\n  - seed-alpha=1.0.0\n`,
    );
    const file = join(scratch, "envforge.yaml");
    await writeFile(
      file,
      `name: two-platforms\nimage: ${base.reference}\nconda_file: environment.yml\n`,
    );
    const lockFile = join(scratch, "envforge.lock");
    const locked = await cli(
      ["lock", file, "--platform", "linux-64", "--platform", "linux-aarch64", "-o", lockFile],
      { env },
    );
    expect(locked.code, locked.stderr).toBe(0);
    expect(await readFile(lockFile, "utf8")).toContain("platform: linux-aarch64");
    const created = await cli(["env", "create", "-f", file, "--lock", lockFile], { env });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain("locked linux-aarch64: 3 conda packages");
    const built = await cli(["env", "build", "two-platforms", "--json"], { env });
    expect(built.code, built.stderr).toBe(0);
    const build = z
      .looseObject({ image: z.object({ name: z.string(), digest: z.string() }) })
      .parse(JSON.parse(built.stdout));
    harness.track({
      imageName: build.image.name,
      digest: build.image.digest,
      cacheHit: false,
      pushedBlobs: 0,
      durationMs: 0,
    });
    const index = Index.parse(
      JSON.parse(await skopeo(["--raw", `docker://${build.image.name}:latest`])),
    );
    expect(index.manifests.map((m) => m.platform.architecture)).toEqual(["amd64", "arm64"]);
    const repository = build.image.name.slice(PLAIN_REGISTRY.length + 1);
    for (const m of index.manifests) made.push({ repository, digest: m.digest });

    // envforge sbom reads the SBOM attached to the index; run pulls this machine's platform.
    const sbom = await cli(["sbom", "two-platforms"], { env });
    expect(sbom.code, sbom.stderr).toBe(0);
    expect(sbom.stdout).toContain("pkg:conda/envforge-hello@1.0.0");
    try {
      const job = await cli(["run", "two-platforms", "--", "envforge-hello"], { env });
      expect(job.code, job.stderr).toBe(0);
      expect(job.stdout).toBe("hello from /opt/envforge/env\n");
    } finally {
      await removeImage(docker, `${build.image.name}@${build.image.digest}`);
    }
  }, 240_000);
});
