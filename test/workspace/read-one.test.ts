/**
 * WorkspaceStore.readOne on SQLite and PostgreSQL: one statement reads as `read` does (an API
 * token is checked this way on every request), and a second statement is refused rather than
 * run outside a transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InternalError } from "../../src/errors/index.js";
import type { WorkspaceStore } from "../../src/workspace/index.js";
import type { StoreHarness } from "./fixtures.js";
import { harnessKinds, openHarness, reportSkippedPostgres } from "./fixtures.js";

const { kinds, adminUrl, skipped } = await harnessKinds();
reportSkippedPostgres("readOne", skipped);

describe.each(kinds)("readOne on %s", (kind) => {
  let harness: StoreHarness;
  let store: WorkspaceStore;
  beforeAll(async () => {
    harness = await openHarness(kind, adminUrl);
    store = await harness.open();
  });
  afterAll(async () => {
    await store?.close();
    await harness?.dispose();
  });

  it("reads with one statement what read reads", async () => {
    const once = await store.readOne((tx) => tx.getWorkspace("default"));
    expect(once?.name).toBe("default");
    expect(once).toEqual(await store.read((tx) => tx.getWorkspace("default")));
  });

  it("refuses a second statement, and the store goes on serving", async () => {
    const second = store.readOne(async (tx) => {
      await tx.getWorkspace("default");
      return tx.getWorkspace("default");
    });
    await expect(second).rejects.toThrow(InternalError);
    await expect(second).rejects.toThrow("a second statement in readOne");
    expect((await store.readOne((tx) => tx.getWorkspace("default")))?.name).toBe("default");
  });
});
