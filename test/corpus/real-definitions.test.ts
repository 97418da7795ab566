/**
 * Every real, published definition under test/fixtures/real/ (sources and licences in its
 * README.md) is validated, hashed and converted to envforge.yaml, and the converted file is read
 * back: every conda package, pip entry and channel survives the round trip. A file that is
 * invalid for its own tool is kept as a negative case, with envforge's message pinned. The files
 * cover requirements with --hash, environment markers and nested -r includes, and Azure ML v1
 * folders as well as conda files and v2 YAMLs.
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

/**
 * Azure's foundation-models import example: a Python list pasted into requirements.txt. pip
 * refuses its first line too (`Invalid requirement: "'jsonpickle',"`); envforge names every line.
 */
const PASTED_LIST = "azureml-examples/sdk/python/foundation-models/system/import/requirements.txt";
const PASTED_LINES = [
  "'jsonpickle',",
  "'mlflow==2.3.1',",
  "'azureml-core>=1.43.0',",
  "'azureml-mlflow>=1.47.0',",
  "'azureml-metrics',",
  "'scikit-learn>=0.24.0',",
  "'cryptography',",
  "'python-dateutil>=2.7.3,<3.0.0',",
  "'datasets==2.11.0',",
  "'soundfile>=0.12.1',",
  "'librosa',",
  "'diffusers==0.14.0',",
  "'sentencepiece',",
  "'transformers>=4.28.1',",
  "'torch>=1.9.0',",
  "'accelerate>=0.19.0',",
  "'Pillow==9.4.0'",
];

/** Files that are invalid for their own tool too: envforge's message, pinned. */
const NEGATIVE: Readonly<Record<string, string>> = {
  [PASTED_LIST]: PASTED_LINES.map(
    (line, i) =>
      `<real>/${PASTED_LIST}:${i + 1}: not a valid requirement: at column 1: expected end of input (found ${JSON.stringify(line)}; allowed: a PEP 508 requirement such as "numpy>=1.2" or a pip option)`,
  ).join("\n"),
};

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

  it("keeps every kind the issue names: hashes, markers, -r includes, v1 folders, a negative case", async () => {
    const loaded = await Promise.all(
      DEFINITIONS.filter((path) => NEGATIVE[path] === undefined).map((path) =>
        loadDefinition(join(ROOT, path), { settings: SETTINGS }),
      ),
    );
    const pip = loaded.flatMap((d) => d.pip?.requirements ?? []);
    expect(pip.filter((r) => r.hashes.length > 0).length).toBeGreaterThan(0);
    expect(pip.filter((r) => r.requirement.includes(";")).length).toBeGreaterThan(0);
    expect(loaded.filter((d) => d.kind === "azureml-v1").length).toBeGreaterThan(0);
    // dev.in reads lint.in, test.in and doc.in, and those read theirs (-r, nested).
    const dev = loaded[DEFINITIONS.indexOf("aio-libs-aiohttp/requirements/dev.in")];
    expect(dev?.pip?.requirements.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        "pre-commit",
        "gunicorn",
        "yarl",
        "freezegun",
        "sphinx",
        "pip-tools",
      ]),
    );
    expect(Object.keys(NEGATIVE).every((path) => DEFINITIONS.includes(path))).toBe(true);
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
