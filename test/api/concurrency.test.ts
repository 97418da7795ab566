/**
 * Version allocation through the HTTP API under real concurrency, on both stores: 50 uploads at
 * once of changed definitions under one name get 50 distinct, contiguous versions; 50 uploads
 * of one definition get one version; the tables hold exactly the rows that implies.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { harnessKinds } from "../workspace/fixtures.js";
import type { ApiHarness } from "./harness.js";
import { condaUpload, field, request, startApiHarness, versionsUrl } from "./harness.js";

const { kinds, adminUrl, skipped } = await harnessKinds();
if (skipped !== undefined) console.warn(`api concurrency: PostgreSQL skipped: ${skipped}`);

const N = 50;

describe.each(kinds)("50 concurrent registrations through the API on %s", (kind) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness({ kind, adminUrl });
  });
  afterAll(async () => api?.close());

  it("gives changed definitions 50 distinct, contiguous versions", async () => {
    const before = await api.store.read((tx) => tx.countRows());
    const answers = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        request(versionsUrl(api.url, "default", "racer"), {
          body: condaUpload([`pkg-${String(i).padStart(2, "0")}`]),
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: N }, () => 201));
    const versions = answers.map((a) => field(a.body, "version", "version"));
    expect([...versions].sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: N }, (_, i) => i + 1),
    );
    const hashes = new Set(answers.map((a) => field(a.body, "version", "definitionHash")));
    expect(hashes.size).toBe(N);
    const after = await api.store.read((tx) => tx.countRows());
    expect(after.versions - before.versions).toBe(N);
    expect(after.environments - before.environments).toBe(1);

    const listed = await request(`${versionsUrl(api.url, "default", "racer")}?limit=1000`);
    expect(field(listed.body, "items", "length")).toBe(N);
  });

  it("gives one definition sent 50 times one version", async () => {
    const before = await api.store.read((tx) => tx.countRows());
    const answers = await Promise.all(
      Array.from({ length: N }, () =>
        request(versionsUrl(api.url, "default", "same"), { body: condaUpload(["numpy"]) }),
      ),
    );
    const created = answers.filter((a) => a.status === 201);
    expect(created).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(N - 1);
    expect(new Set(answers.map((a) => field(a.body, "version", "version")))).toEqual(new Set([1]));
    const after = await api.store.read((tx) => tx.countRows());
    expect(after.versions - before.versions).toBe(1);
  });
});
