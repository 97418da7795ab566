/**
 * pip for the image's own interpreter needs a lock as a conda env does: a workspace that resolves
 * no locks at registration stores such a version unlocked, naming the pip part (not conda), and
 * refuses it when a lock is required, writing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Definition } from "../../src/definition/definition.js";
import { ValidationError } from "../../src/errors/index.js";
import { createEnvironmentService } from "../../src/workspace/environment-service.js";
import type { WorkspaceStore } from "../../src/workspace/store.js";
import type { StoreHarness } from "./fixtures.js";
import { sqliteHarness } from "./fixtures.js";

const definition: Definition = {
  kind: "envforge",
  tags: {},
  base: {
    kind: "image",
    image: { registry: "127.0.0.1:9", repository: "team/python", tag: "3.11" },
    defaulted: false,
  },
  pip: {
    requirements: [{ name: "wheel", requirement: "wheel>=0.30", hashes: [] }],
    constraints: [],
    extraIndexUrls: [],
    findLinks: [],
    pre: false,
  },
  apt: [],
  variables: {},
  platform: "linux-64",
  python: { userManagedDependencies: true, interpreterPath: "/usr/bin/python3" },
};

describe("registering pip for the image's interpreter without a lock resolver", () => {
  let harness: StoreHarness;
  let store: WorkspaceStore;

  beforeAll(async () => {
    harness = sqliteHarness();
    store = await harness.open();
  });
  afterAll(async () => {
    await store?.close();
    await harness?.dispose();
  });

  it("stores the version unlocked, the problem naming pip", async () => {
    const service = createEnvironmentService({ store });
    const result = await service.registerEnvironment({ name: "imagepip", definition });
    expect(result.lock).toEqual({
      state: "unlocked",
      filled: false,
      problems: [{ part: "pip", reason: "this workspace resolves no locks at registration" }],
    });
  });

  it("refuses it when a lock is required, and stores nothing", async () => {
    const service = createEnvironmentService({ store });
    const refused = await service
      .registerEnvironment({ name: "required", definition, requireLock: true })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).problems.map((p) => p.key)).toEqual(["lock.pip"]);
    await expect(service.getEnvironmentVersion({ name: "required" })).rejects.toThrow();
  });
});
