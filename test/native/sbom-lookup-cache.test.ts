/**
 * Image details look up the SBOM of a pushed image (sbomFinder): on the real registry, through a
 * counting proxy, the first read asks the registry (the referrers tag, its index, the artifact)
 * and every later read of the same image digest asks nothing, in the same process (memory) and in
 * another one (the answer kept under the cache folder). "No SBOM" is kept too; a registry that
 * cannot be asked is not an answer and is asked again.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { definitionHash } from "../../src/definition/definition-hash.js";
import { openRegistry, sbomFinder } from "../../src/image/index.js";
import { startCountingProxy } from "../support/counting-proxy.js";
import type { CountingProxy } from "../support/counting-proxy.js";
import { PLAIN_REGISTRY } from "../support/registry.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { gate, imageDefinition } from "../build/harness.js";
import { openNativeHarness } from "./harness.js";
import type { NativeHarness } from "./harness.js";

let channel: SeedChannel;
let harness: NativeHarness;
let proxy: CountingProxy;
let scratch: string;
/** The built image as the proxy names it (`127.0.0.1:<proxy port>/envforge-test/...`). */
let image: string;
let digest: string;

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  channel = await startSeedChannel({ nonce: randomBytes(8).toString("hex") });
  harness = await openNativeHarness();
  proxy = await startCountingProxy(PLAIN_REGISTRY);
  scratch = await mkdtemp(join(tmpdir(), "envforge-sbom-lookup-"));
  const definition = imageDefinition({
    conda: { channels: [channel.url], dependencies: ["envforge-hello"], pip: [], variables: {} },
  });
  const hash = definitionHash(definition);
  const repository = `envforge-test/native-${randomBytes(4).toString("hex")}`;
  const outcome = harness.track(
    await harness.builder.build({
      definition,
      definitionHash: hash,
      lock: channel.lock(hash, ["envforge-hello"]),
      registry: `${PLAIN_REGISTRY}/${repository}`,
    }),
  );
  image = `${proxy.address}/${outcome.imageName.slice(PLAIN_REGISTRY.length + 1)}`;
  digest = outcome.digest;
}, 120_000);

afterAll(async () => {
  await harness?.cleanup();
  await proxy?.close();
  await channel?.close();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

const registry = () => openRegistry({ env: { HOME: scratch } });

describe.skipIf(gate.skip)("the SBOM lookup of image details", () => {
  it("asks the registry once per image digest, then never again, also from another process's finder", async () => {
    const cacheDir = join(scratch, "sboms");
    const find = sbomFinder(registry(), { cacheDir });
    proxy.reset();
    const first = await find(image, digest);
    expect(first).toMatchObject({ mediaType: "application/vnd.cyclonedx+json" });
    expect(first?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The referrers tag (HEAD, GET) and the artifact manifest.
    expect(proxy.requests.map((r) => r.method)).toEqual(["HEAD", "GET", "GET"]);

    proxy.reset();
    expect(await find(image, digest)).toEqual(first);
    expect(await find(image, digest)).toEqual(first);
    expect(proxy.requests).toEqual([]);

    // A new finder (another process) on the same cache folder: no request either.
    expect(await sbomFinder(registry(), { cacheDir })(image, digest)).toEqual(first);
    expect(proxy.requests).toEqual([]);
    // Without the folder, a new finder has to ask: the answer above came from the cache.
    expect(await sbomFinder(registry())(image, digest)).toEqual(first);
    expect(proxy.requests.length).toBe(3);
  });

  it("keeps 'no SBOM' for a digest that has none, and forgets the oldest past its bound", async () => {
    const find = sbomFinder(registry(), { maxEntries: 1 });
    const other = `sha256:${"0".repeat(64)}`;
    proxy.reset();
    expect(await find(image, other)).toBeNull();
    expect(proxy.requests.map((r) => r.method)).toEqual(["HEAD"]);
    proxy.reset();
    expect(await find(image, other)).toBeNull();
    expect(proxy.requests).toEqual([]);
    // A second image digest pushes the first out of a finder that keeps one answer.
    await find(image, digest);
    proxy.reset();
    expect(await find(image, other)).toBeNull();
    expect(proxy.requests.map((r) => r.method)).toEqual(["HEAD"]);
  });

  it("keeps nothing when the registry cannot be asked", async () => {
    const cacheDir = join(scratch, "unreachable");
    const closed = await startCountingProxy(PLAIN_REGISTRY);
    const address = closed.address;
    await closed.close();
    const find = sbomFinder(registry(), { cacheDir });
    const unreachable = `${address}/envforge-test/none`;
    expect(await find(unreachable, digest)).toBeNull();
    expect(await readdir(cacheDir).catch(() => [])).toEqual([]);
  });
});
