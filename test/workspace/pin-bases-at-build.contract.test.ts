/**
 * The build service pins at the first build a base the version's lock left unpinned, on SQLite
 * and PostgreSQL: the version's stored lock gets the digest the loopback registry 127.0.0.1:5000
 * gives, once; the build's image hash is that of the pinned lock; a second request finds the
 * stored pin and writes nothing.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageHash } from "../../src/definition/image-hash.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import { LOCK_VERSION } from "../../src/definition/lock.js";
import type { Lock } from "../../src/definition/lock.js";
import { surfaceSettings } from "../../src/host/config.js";
import { openRegistry } from "../../src/image/index.js";
import { localLockResolver } from "../../src/client/local-lock-resolver.js";
import { createBuildService } from "../../src/workspace/build-service.js";
import type { ChannelLockResolver } from "../../src/workspace/channel-lock-resolver.js";
import { createEnvironmentService } from "../../src/workspace/environment-service.js";
import type { WorkspaceStore } from "../../src/workspace/store.js";
import { BASE_REFERENCE, gate, imageDefinition } from "../build/harness.js";
import { LOOPBACK_DEFAULTS } from "../support/loopback-defaults.js";
import type { StoreHarness } from "./fixtures.js";
import { harnessKinds, openHarness, reportSkippedPostgres } from "./fixtures.js";

const { kinds, adminUrl, skipped } = await harnessKinds();
reportSkippedPostgres("pin bases at build", skipped);

describe.skipIf(gate.skip).each(kinds)("bases pinned at the first build on %s", (kind) => {
  let harness: StoreHarness;
  let store: WorkspaceStore;
  let home: string;
  let pinner: ChannelLockResolver;

  beforeAll(async () => {
    gate.require();
    harness = await openHarness(kind, adminUrl);
    store = await harness.open();
    home = await mkdtemp(join(tmpdir(), "envforge-pin-bases-"));
    pinner = localLockResolver(
      surfaceSettings({ ...LOOPBACK_DEFAULTS, ENVFORGE_HOME: home, HOME: home }),
    );
  });
  afterAll(async () => {
    await pinner?.close();
    await store?.close();
    await harness?.dispose();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  it("stores the digest once and builds the pinned lock's image", async () => {
    const environments = createEnvironmentService({ store });
    const builds = createBuildService({
      store,
      versions: environments,
      pinBases: pinner.pinBases,
    });
    const workspace = `pin-${kind}`;
    await environments.createWorkspace({ name: workspace });
    const definition = imageDefinition();
    const hash = definitionHash(definition);
    // A lock stored without the base's digest, as a registration whose registry did not answer.
    const unpinned: Lock = {
      version: LOCK_VERSION,
      definitionHash: hash,
      channels: [],
      platforms: [{ platform: "linux-64", virtualPackages: [], conda: [], pip: [] }],
    };
    await environments.registerEnvironment({
      workspace,
      name: "later",
      definition,
      lock: unpinned,
    });
    const digest = await openRegistry({ env: {} }).getManifestDigest(BASE_REFERENCE);

    const { build } = await builds.requestBuild({
      workspace,
      name: "later",
      registry: "127.0.0.1:5000/envforge",
    });
    const stored = await environments.getEnvironmentVersion({ workspace, name: "later" });
    expect(stored.lock?.baseImageDigest).toBe(digest);
    expect(build.imageHash).toBe(imageHash(hash, stored.lock));
    expect(build.imageHash).not.toBe(imageHash(hash, unpinned));

    await builds.cancelBuild({ workspace, id: build.id });
    const again = await builds.requestBuild({
      workspace,
      name: "later",
      registry: "127.0.0.1:5000/envforge",
    });
    expect(again.build.imageHash).toBe(build.imageHash);
    const after = await environments.getEnvironmentVersion({ workspace, name: "later" });
    expect(after.updatedAt).toBe(stored.updatedAt);
    expect(after.lock).toEqual(stored.lock);
  });
});
