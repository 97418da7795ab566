/**
 * Every real, published definition under test/fixtures/real/ (sources and licences in its
 * README.md) is validated, hashed and converted to envforge.yaml, and the converted file is read
 * back: every conda package, pip entry and channel survives the round trip. A file that is
 * invalid for its own tool is kept as a negative case, with envforge's message pinned.
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { definitionHash } from "../../src/definition/definition-hash.js";
import type { Definition, ParseSettings } from "../../src/definition/definition.js";
import { condaChannelsOrDefaults } from "../../src/definition/implicit-channels.js";
import { ValidationError } from "../../src/errors/index.js";
import { convertDefinition } from "../../src/host/convert-definition.js";
import { loadDefinition } from "../../src/host/load-definition.js";

const ROOT = fileURLToPath(new URL("../fixtures/real", import.meta.url));

const SETTINGS: ParseSettings = {
  defaultBaseImage: "127.0.0.1:5000/envforge/debian:bookworm",
  defaultPythonVersion: "3.10",
  defaultPlatform: "linux-64",
};

/** Files that are invalid for their own tool too: envforge's message, pinned. */
const NEGATIVE: Readonly<Record<string, string>> = {};

/** Files read as part of another definition (a v2 YAML's conda file or build context). */
const PARTS = /(^|\/)(Dockerfile|requirements\.txt)$/;

async function entries(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of (await readdir(folder)).sort()) {
    const path = join(folder, name);
    if ((await stat(path)).isDirectory()) found.push(...(await entries(path)));
    else if (!name.endsWith(".md")) found.push(relative(ROOT, path));
  }
  return found;
}

const ENTRIES = await entries(ROOT);
const DEFINITIONS = ENTRIES.filter(
  (path) =>
    !PARTS.test(path) ||
    (/(^|\/)requirements[^/]*\.txt$/.test(path) && !path.includes("docker-contexts/")),
);

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "envforge-corpus-"));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

interface Contents {
  readonly channels: readonly string[];
  readonly conda: readonly string[];
  readonly pip: readonly string[];
}

function contents(definition: Definition): Contents {
  const pip = [
    ...(definition.conda?.pip ?? []),
    ...(definition.pip?.requirements.map((requirement) => requirement.requirement) ?? []),
  ];
  return {
    channels:
      definition.conda === undefined ? [] : condaChannelsOrDefaults(definition.conda.channels),
    conda: [...(definition.conda?.dependencies ?? [])].sort(),
    pip: pip.sort(),
  };
}

describe("real published definitions", () => {
  it("keeps at least 40 definitions", () => {
    expect(DEFINITIONS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(DEFINITIONS)("%s validates, hashes and converts with nothing lost", async (path) => {
    const load = () => loadDefinition(join(ROOT, path), { settings: SETTINGS });
    const negative = NEGATIVE[path];
    if (negative !== undefined) {
      const error = await load().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message.replaceAll(ROOT, "<real>")).toBe(negative);
      return;
    }
    const definition = await load();
    expect(definitionHash(definition)).toMatch(/^envforge_[0-9a-f]{32}$/);
    const folder = join(out, path.replaceAll("/", "__"));
    const converted = await convertDefinition(definition, { format: "envforge", out: folder });
    expect(converted.files).toContain("envforge.yaml");
    const back = await loadDefinition(join(folder, "envforge.yaml"), { settings: SETTINGS });
    expect(contents(back)).toEqual(contents(definition));
    expect(back.base.kind).toBe(definition.base.kind);
  });
});
