/**
 * The SBOM of a native image: CycloneDX 1.5 JSON, fetched from the registry by the image's digest
 * (the referrers tag `sha256-<hex>` of the OCI distribution spec, then the artifact manifest whose
 * subject is the image), valid against the CycloneDX schema, listing every locked package with
 * its version, sha256 and the license the package states.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Spec, Validation } from "@cyclonedx/cyclonedx-library";
import * as z from "zod";
import { referrersTag } from "../../src/builders/native/native-builder.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { gate, imageDefinition } from "../build/harness.js";
import { openNativeHarness, runRegistry } from "./harness.js";
import type { NativeHarness } from "./harness.js";

let channel: SeedChannel;
let harness: NativeHarness;

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  channel = await startSeedChannel();
  harness = await openNativeHarness();
});

afterAll(async () => {
  await harness?.cleanup();
  await channel?.close();
});

const Index = z.object({
  manifests: z.array(z.object({ artifactType: z.string(), digest: z.string() })),
});
const Artifact = z.object({
  artifactType: z.string(),
  subject: z.object({ digest: z.string() }),
  layers: z.array(z.object({ mediaType: z.string(), digest: z.string() })),
});
const Bom = z.object({
  components: z.array(
    z.looseObject({
      name: z.string(),
      version: z.string(),
      purl: z.string(),
      hashes: z.array(z.object({ alg: z.string(), content: z.string() })).optional(),
      licenses: z.array(z.object({ license: z.object({ name: z.string() }) })).optional(),
    }),
  ),
});

async function get(url: string, accept: string): Promise<Response> {
  const response = await fetch(url, { headers: { accept } });
  expect(response.status, url).toBe(200);
  return response;
}

describe.skipIf(gate.skip)("the SBOM of a native image", () => {
  it("is attached to the image, valid CycloneDX, and lists every locked package", async () => {
    const names = ["zlib", "envforge-hello", "seed-alpha=1.0.0"];
    const definition = imageDefinition({
      conda: { channels: [channel.url], dependencies: names, pip: [], variables: {} },
    });
    const hash = definitionHash(definition);
    const lock = channel.lock(hash, names);
    const outcome = harness.track(
      await harness.builder.build({
        definition,
        definitionHash: hash,
        lock,
        registry: runRegistry(),
      }),
    );
    const [registry = "", ...path] = outcome.imageName.split("/");
    const base = `http://${registry}/v2/${path.join("/")}`;

    const index = Index.parse(
      await (
        await get(
          `${base}/manifests/${referrersTag(outcome.digest)}`,
          "application/vnd.oci.image.index.v1+json",
        )
      ).json(),
    );
    const entry = index.manifests.find((m) => m.artifactType === "application/vnd.cyclonedx+json");
    expect(entry).toBeDefined();
    const artifact = Artifact.parse(
      await (
        await get(
          `${base}/manifests/${entry?.digest ?? ""}`,
          "application/vnd.oci.image.manifest.v1+json",
        )
      ).json(),
    );
    expect(artifact.subject.digest).toBe(outcome.digest);
    const text = await (
      await get(`${base}/blobs/${artifact.layers[0]?.digest ?? ""}`, "*/*")
    ).text();

    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot5);
    expect(await validator.validate(text)).toBeNull();

    const bom = Bom.parse(JSON.parse(text));
    const locked = lock.platforms[0]?.conda ?? [];
    expect(
      bom.components.map((c) => `${c.name} ${c.version} ${c.hashes?.[0]?.content ?? ""}`).sort(),
    ).toEqual(locked.map((p) => `${p.name} ${p.version} ${p.sha256}`).sort());
    expect(bom.components.every((c) => c.purl.startsWith("pkg:conda/"))).toBe(true);
    // The real zlib states its license in info/index.json.
    expect(bom.components.find((c) => c.name === "zlib")?.licenses).toEqual([
      { license: { name: "zlib" } },
    ]);
  }, 120_000);
});
