/** The curated environments shipped in `curated/`: they parse, keep their rules, and show read-only. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InternalError, ValidationError } from "../../src/errors/index.js";
import { DEFAULT_PARSE_SETTINGS } from "../../src/definition/definition.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import {
  folderCuratedCatalog,
  selfContainedLoader,
  shippedCuratedCatalog,
} from "../../src/workspace/curated-catalog.js";
import { createEnvironmentService } from "../../src/workspace/environment-service.js";
import { sqliteHarness } from "./fixtures.js";

describe("shipped curated environments", () => {
  it("parse, carry the reserved prefix, and match their folder names", async () => {
    const curated = await shippedCuratedCatalog().list();
    expect(curated.map((c) => [c.name, c.version])).toEqual([
      ["envforge-debian-bookworm-tools", 1],
      ["envforge-python-3.10-minimal", 1],
      ["envforge-python-3.7-scipy", 1],
    ]);
    for (const c of curated) {
      expect(c.definition.name).toBe(c.name);
      expect(c.definition.description).toEqual(expect.any(String));
      expect(Object.keys(c.sourceFiles)).toEqual(["envforge.yaml"]);
    }
    const scipy = curated.find((c) => c.name === "envforge-python-3.7-scipy");
    expect(scipy?.definition.conda?.dependencies).toEqual([
      "python=3.7",
      "numpy",
      "scipy",
      "pandas",
    ]);
  });

  it("are listed read-only by the service by default", async () => {
    const harness = sqliteHarness();
    const store = await harness.open();
    try {
      const service = createEnvironmentService({ store });
      const listed = await service.listCurated();
      expect(listed.every((c) => c.curated && c.labels.join() === "latest")).toBe(true);
      const tools = await service.getEnvironmentVersion({ name: "envforge-debian-bookworm-tools" });
      expect(tools.definitionHash).toBe(definitionHash(tools.definition));
      expect(tools.definition.apt).toEqual(["ca-certificates", "curl", "git", "jq"]);
      const versions = await service.listVersions({ name: "envforge-python-3.10-minimal" });
      expect(versions.items.map((v) => v.version)).toEqual([1]);
      const error = await service
        .registerEnvironment({ name: "envforge-python-3.10-minimal", definition: tools.definition })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((await store.read((tx) => tx.countRows())).versions).toBe(0);
    } finally {
      await store.close();
      await harness.dispose();
    }
  });
});

describe("a curated folder", () => {
  const folder = mkdtempSync(join(tmpdir(), "envforge-curated-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  function write(dir: string, text: string): string {
    const root = join(folder, dir);
    mkdirSync(join(root, "x"), { recursive: true });
    writeFileSync(join(root, "x", "envforge.yaml"), text);
    return join(root);
  }

  it("refuses a file whose name differs from its folder", async () => {
    const root = write("mismatch", "name: envforge-other\nimage: debian:bookworm-slim\n");
    const catalog = folderCuratedCatalog({
      folder: root,
      load: selfContainedLoader(DEFAULT_PARSE_SETTINGS),
    });
    const error = await catalog.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalError);
    expect(String(error)).toContain("(found folder x, name envforge-other)");
  });

  it("refuses a file that needs another file", async () => {
    const root = write("needs", "name: x\nimage: debian:bookworm-slim\nconda_file: env.yml\n");
    const catalog = folderCuratedCatalog({
      folder: root,
      load: selfContainedLoader(DEFAULT_PARSE_SETTINGS),
    });
    expect(String(await catalog.list().catch((e: unknown) => e))).toContain(
      "curated files must be self-contained",
    );
  });
});
