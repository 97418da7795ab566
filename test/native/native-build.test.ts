/**
 * The native builder on the real registry, engine, podman and skopeo: the image it assembles
 * with no daemon runs under docker and podman and is read by skopeo; the same lock built from
 * two homes (empty caches, another umask and time zone) gives the same manifest digest; one
 * changed package changes exactly its layer and the push sends little more than that layer; two
 * environments sharing a large package share its layer blob, and the second push mounts it.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { dockerLocalEngine } from "../../src/builders/native/docker-local-engine.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import type { Definition } from "../../src/definition/definition.js";
import type { Lock } from "../../src/definition/lock.js";
import { ValidationError } from "../../src/errors/index.js";
import { startCountingProxy } from "../support/counting-proxy.js";
import type { CountingProxy } from "../support/counting-proxy.js";
import { removeImage } from "../support/docker.js";
import { PLAIN_REGISTRY } from "../support/registry.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import {
  docker,
  DOCKER_CLI,
  gate,
  imageDefinition,
  manifestLayers,
  shell,
} from "../build/harness.js";
import { openNativeHarness, podmanRun, run, runRegistry } from "./harness.js";
import type { NativeHarness } from "./harness.js";

const MiB = 1024 * 1024;
let channel: SeedChannel;
let harness: NativeHarness;
let scratch: string;
let proxy: CountingProxy;

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  // Random package content per run: the layers are new to the registry, so pushes can be counted.
  channel = await startSeedChannel({
    nonce: randomBytes(8).toString("hex"),
    extra: [
      ...["1.0.0", "2.0.0"].map((version) => ({
        name: "native-big",
        version,
        noarch: "generic" as const,
        files: [{ path: "share/native-big/data.bin", content: randomBytes(2 * MiB) }],
      })),
      {
        name: "native-shared-large",
        noarch: "generic" as const,
        files: [{ path: "share/native-shared/data.bin", content: randomBytes(8.5 * MiB) }],
      },
    ],
  });
  harness = await openNativeHarness();
  scratch = await mkdtemp(join(tmpdir(), "envforge-native-scratch-"));
  proxy = await startCountingProxy(PLAIN_REGISTRY);
}, 120_000);

afterAll(async () => {
  // Before the proxy closes: images pushed through it are deleted through it.
  await harness?.cleanup();
  await proxy?.close();
  await channel?.close();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

function condaEnvironment(
  names: readonly string[],
  overrides: Partial<Definition> = {},
): { definition: Definition; definitionHash: string; lock: Lock } {
  const definition = imageDefinition({
    conda: { channels: [channel.url], dependencies: [...names], pip: [], variables: {} },
    variables: { ENVFORGE_TEST_GREETING: "hi there" },
    ...overrides,
  });
  const hash = definitionHash(definition);
  return { definition, definitionHash: hash, lock: channel.lock(hash, names) };
}

const Inspect = z.object({
  Digest: z.string(),
  Labels: z.record(z.string(), z.string()),
  Layers: z.array(z.string()),
  Env: z.array(z.string()),
});

describe.skipIf(gate.skip)("the native builder", () => {
  it("builds an image that docker and podman run and skopeo reads", async () => {
    const environment = condaEnvironment(["zlib", "envforge-hello", "seed-alpha=1.0.0"]);
    const outcome = harness.track(
      await harness.builder.build({ ...environment, registry: runRegistry() }),
    );
    expect(outcome.cacheHit).toBe(false);
    const image = `${outcome.imageName}:latest`;

    const { stdout } = await run("skopeo", ["inspect", "--tls-verify=false", `docker://${image}`]);
    const inspected = Inspect.parse(JSON.parse(stdout));
    expect(inspected.Digest).toBe(outcome.digest);
    expect(inspected.Labels["dev.envforge.definition-hash"]).toBe(environment.definitionHash);
    expect(inspected.Env).toContain("CONDA_PREFIX=/opt/envforge/env");
    expect(inspected.Env).toContain("ENVFORGE_TEST_GREETING=hi there");
    expect(inspected.Env.find((line) => line.startsWith("PATH="))).toBe(
      "PATH=/opt/envforge/env/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    );

    // envforge-hello is a noarch script whose prefix placeholder was replaced while linking.
    const script =
      'envforge-hello; cat /opt/envforge/env/share/seed-alpha/version.txt | cut -d" " -f1,2; echo "$ENVFORGE_TEST_GREETING"; id -u';
    await run(DOCKER_CLI, ["pull", image]);
    try {
      const fromDocker = await shell(image, script);
      expect(fromDocker).toBe("hello from /opt/envforge/env\nseed-alpha 1.0.0\nhi there\n0\n");
    } finally {
      await removeImage(docker, image);
    }
    const fromPodman = await podmanRun(join(scratch, "podman"), image, ["sh", "-c", script]);
    expect(fromPodman).toBe("hello from /opt/envforge/env\nseed-alpha 1.0.0\nhi there\n0\n");
  }, 180_000);

  it("gives the same manifest digest from two homes with empty caches, another umask and time zone", async () => {
    const environment = condaEnvironment(["zlib", "envforge-hello", "seed-alpha=2.0.0"]);
    const first = harness.track(
      await harness.builder.build({ ...environment, registry: runRegistry() }),
    );
    const other = await openNativeHarness();
    const umask = process.umask(0o077);
    const tz = process.env["TZ"];
    process.env["TZ"] = "Pacific/Kiritimati";
    try {
      const second = other.track(
        await other.builder.build({ ...environment, registry: runRegistry() }),
      );
      expect(second.cacheHit).toBe(false);
      expect(second.imageName).not.toBe(first.imageName);
      expect(second.digest).toBe(first.digest);
    } finally {
      process.umask(umask);
      if (tz === undefined) delete process.env["TZ"];
      else process.env["TZ"] = tz;
      await other.cleanup();
    }
  }, 120_000);

  describe("through a counting proxy", () => {
    /** The base image named through the proxy, so its layers mount instead of being sent. */
    const throughProxy = (): Partial<Definition> => ({
      base: {
        kind: "image",
        image: { registry: proxy.address, repository: "envforge/debian", tag: "bookworm" },
        defaulted: false,
      },
    });

    it("changes exactly the layer of a changed package and sends little more than it", async () => {
      const registry = runRegistry(proxy.address);
      const before = condaEnvironment(
        ["zlib", "envforge-hello", "native-big=1.0.0"],
        throughProxy(),
      );
      const first = harness.track(await harness.builder.build({ ...before, registry }));
      const after = condaEnvironment(
        ["zlib", "envforge-hello", "native-big=2.0.0"],
        throughProxy(),
      );
      proxy.reset();
      const second = harness.track(await harness.builder.build({ ...after, registry }));

      const a = await manifestLayers(first.imageName, first.digest);
      const b = await manifestLayers(second.imageName, second.digest);
      expect(b).toHaveLength(a.length);
      const changed = b.filter((digest, i) => digest !== a[i]);
      expect(changed).toHaveLength(1);
      const layer = await layerSize(second.imageName, changed[0] ?? "");
      expect(layer).toBeGreaterThan(2 * MiB);
      // The changed layer, the config and the new SBOM, nothing else; the base was mounted the
      // first time.
      expect(proxy.blobUploads()).toBe(3);
      expect(second.pushedBlobs).toBe(1);
      expect(proxy.blobBytes()).toBeLessThanOrEqual(1.1 * layer);
    }, 180_000);

    it("shares a large package's layer between two environments; the second push mounts it", async () => {
      const registry = runRegistry(proxy.address);
      const one = condaEnvironment(["native-shared-large", "seed-alpha=1.0.0"], throughProxy());
      const first = harness.track(await harness.builder.build({ ...one, registry }));
      const two = condaEnvironment(["native-shared-large", "envforge-hello"], throughProxy());
      proxy.reset();
      const second = harness.track(await harness.builder.build({ ...two, registry }));
      expect(second.imageName).not.toBe(first.imageName);

      const a = await manifestLayers(first.imageName, first.digest);
      const b = await manifestLayers(second.imageName, second.digest);
      const shared = b.filter((digest) => a.includes(digest));
      // The base's layer and the large package's layer.
      expect(shared).toHaveLength(2);
      const largest = await Promise.all(shared.map((d) => layerSize(second.imageName, d)));
      expect(Math.max(...largest)).toBeGreaterThan(8 * MiB);
      expect(proxy.blobBytes()).toBeLessThan(1 * MiB);
      const mounts = proxy.requests.filter((r) => r.method === "POST" && r.path.includes("mount="));
      expect(mounts.some((r) => shared.some((d) => r.path.includes(encodeURIComponent(d))))).toBe(
        true,
      );
    }, 180_000);

    it("finds a built image with one HEAD and sends nothing", async () => {
      const registry = runRegistry(proxy.address);
      const environment = condaEnvironment(["envforge-hello"], throughProxy());
      harness.track(await harness.builder.build({ ...environment, registry }));
      proxy.reset();
      const again = await harness.builder.build({ ...environment, registry });
      expect(again.cacheHit).toBe(true);
      expect(proxy.requests.map((r) => r.method)).toEqual(["HEAD"]);
    }, 120_000);
  });

  it("writes an OCI layout and a docker archive that skopeo and docker load read", async () => {
    const layout = join(scratch, "layout");
    const archive = join(scratch, "image.tar");
    const withOutputs = await openNativeHarness({
      outputs: { ociLayout: layout, dockerArchive: archive },
    });
    try {
      const environment = condaEnvironment(["envforge-hello"]);
      const outcome = withOutputs.track(
        await withOutputs.builder.build({ ...environment, registry: runRegistry() }),
      );
      const { stdout } = await run("skopeo", ["inspect", `oci:${layout}`]);
      expect(Inspect.parse(JSON.parse(stdout)).Digest).toBe(outcome.digest);
      const loaded = await run(DOCKER_CLI, ["load", "-i", archive]);
      expect(loaded.stdout).toContain(`${outcome.imageName}:latest`);
      try {
        const ran = await run(DOCKER_CLI, [
          "run",
          "--rm",
          "--network",
          "none",
          `${outcome.imageName}:latest`,
          "envforge-hello",
        ]);
        expect(ran.stdout).toBe("hello from /opt/envforge/env\n");
      } finally {
        await removeImage(docker, `${outcome.imageName}:latest`);
      }
      expect((await readFile(join(layout, "oci-layout"), "utf8")).trim()).toBe(
        '{"imageLayoutVersion":"1.0.0"}',
      );
    } finally {
      await withOutputs.cleanup();
    }
  }, 180_000);

  it("keeps the image in the local engine when there is no registry", async () => {
    const local = await openNativeHarness({ localEngine: dockerLocalEngine(() => docker) });
    const environment = condaEnvironment(["envforge-hello", "seed-alpha=1.0.0"]);
    try {
      const outcome = await local.builder.build(environment);
      expect(outcome.imageName).toMatch(/^envforge\/envforge_[0-9a-f]{32}$/);
      try {
        const inspected = await docker.getImage(`${outcome.imageName}:latest`).inspect();
        expect(inspected.Id).toBe(outcome.digest);
        const again = await local.builder.build(environment);
        expect(again).toMatchObject({ cacheHit: true, digest: outcome.digest });
      } finally {
        await removeImage(docker, `${outcome.imageName}:latest`);
      }
    } finally {
      await local.cleanup();
    }
  }, 120_000);

  it("refuses apt packages and a Dockerfile, naming the field and the Docker builder", async () => {
    const withApt = condaEnvironment(["envforge-hello"], { apt: ["curl"] });
    const refused = await harness.builder.build({ ...withApt, registry: runRegistry() }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ValidationError);
    expect(String((refused as Error).message)).toMatch(/apt.*ENVFORGE_BUILDER=docker/s);
  });
});

async function layerSize(imageName: string, digest: string): Promise<number> {
  const [registry = "", ...path] = imageName.split("/");
  const response = await fetch(`http://${registry}/v2/${path.join("/")}/blobs/${digest}`, {
    method: "HEAD",
  });
  return Number(response.headers.get("content-length"));
}
