import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.js";
import {
  HASH_PATTERN,
  canonicalDefinition,
  definitionHash,
  sha256Hex,
  stripUrlCredentials,
} from "./definition-hash.js";
import type {
  BaseSpec,
  CondaEnvironment,
  ContextFile,
  Definition,
  PipRequirement,
  PipRequirements,
} from "./definition.js";

// Generated names use only these characters, so a mutation can add a name that cannot exist yet.
const word = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
const words = (max: number) => fc.uniqueArray(word, { maxLength: max });
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const text = fc.string({ maxLength: 40 });

const contextFile: fc.Arbitrary<ContextFile> = fc.record(
  {
    path: fc.array(word, { minLength: 1, maxLength: 3 }).map((parts) => parts.join("/")),
    size: fc.nat(),
    sha256: hex64.map((h) => `sha256:${h}`),
    mode: fc.constantFrom(0o644, 0o755, 0o600),
    linkTarget: word,
  },
  { requiredKeys: ["path", "size", "sha256", "mode"] },
);

const base: fc.Arbitrary<BaseSpec> = fc.oneof(
  fc.record({
    kind: fc.constant("image" as const),
    image: fc.record(
      {
        registry: fc.constantFrom("127.0.0.1:5000", "localhost:5001"),
        repository: fc.array(word, { minLength: 1, maxLength: 2 }).map((p) => p.join("/")),
        tag: word,
        digest: hex64.map((h) => `sha256:${h}`),
      },
      { requiredKeys: ["repository"] },
    ),
    defaulted: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("dockerfile" as const), dockerfile: text }),
  fc.record({
    kind: fc.constant("build" as const),
    contextPath: text,
    dockerfilePath: fc.constantFrom("Dockerfile", "docker/Dockerfile"),
    dockerfile: text,
    files: fc
      .uniqueArray(contextFile, { selector: (f) => f.path, maxLength: 5 })
      .map((files) => files.sort((a, b) => (a.path < b.path ? -1 : 1))),
  }),
);

const record = fc.dictionary(
  word.map((w) => w.toUpperCase()),
  text,
  { maxKeys: 4 },
);

const conda: fc.Arbitrary<CondaEnvironment> = fc.record(
  {
    name: word,
    channels: words(3),
    dependencies: words(6),
    pip: fc
      .tuple(words(4), words(3))
      .map(([reqs, opts]) => [...reqs, ...opts.map((o) => `--${o}`)]),
    variables: record,
    prefix: text,
    source: fc.record({ path: text, text }),
  },
  { requiredKeys: ["channels", "dependencies", "pip", "variables"] },
);

const pipRequirement: fc.Arbitrary<PipRequirement> = fc
  .tuple(word, fc.constantFrom("", ">=1", "==2.0"), fc.uniqueArray(hex64, { maxLength: 2 }))
  .map(([name, spec, hashes]) => ({
    name,
    requirement: name + spec,
    hashes: hashes.map((h) => `sha256:${h}`),
  }));

const pip: fc.Arbitrary<PipRequirements> = fc.record(
  {
    requirements: fc.uniqueArray(pipRequirement, { selector: (r) => r.name, maxLength: 4 }),
    constraints: fc.uniqueArray(pipRequirement, { selector: (r) => r.name, maxLength: 3 }),
    indexUrl: word.map((w) => `http://127.0.0.1:8080/${w}/simple`),
    extraIndexUrls: words(3).map((ws) => ws.map((w) => `http://127.0.0.1:8081/${w}`)),
    findLinks: words(2).map((ws) => ws.map((w) => `http://127.0.0.1:8082/${w}`)),
    pre: fc.boolean(),
  },
  { requiredKeys: ["requirements", "constraints", "extraIndexUrls", "findLinks", "pre"] },
);

const definition: fc.Arbitrary<Definition> = fc.record(
  {
    kind: fc.constantFrom("conda", "pip", "image", "dockerfile", "build-context", "envforge"),
    name: word,
    version: word,
    description: text,
    tags: record,
    base,
    conda,
    pip,
    apt: words(4),
    variables: record,
    platform: fc.constantFrom("linux-64", "linux-aarch64"),
    python: fc.record({ userManagedDependencies: fc.boolean(), interpreterPath: text }),
  },
  { requiredKeys: ["kind", "tags", "base", "apt", "variables", "platform", "python"] },
);

/** A deterministic Fisher–Yates shuffle driven by fast-check's seed. */
function shuffle<T>(list: readonly T[], seed: number): T[] {
  const out = [...list];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function reorderRecord(r: Readonly<Record<string, string>>, seed: number): Record<string, string> {
  return Object.fromEntries(shuffle(Object.entries(r), seed));
}

/** Shuffles requirements among themselves and interleaves options, keeping options in order. */
function reorderPipSubList(lines: readonly string[], seed: number): string[] {
  const options = lines.filter((l) => l.startsWith("-"));
  const requirements = shuffle(
    lines.filter((l) => !l.startsWith("-")),
    seed,
  );
  const out: string[] = [];
  let r = 0;
  let o = 0;
  let state = seed;
  while (r < requirements.length || o < options.length) {
    state = (Math.imul(state, 69069) + 1) >>> 0;
    const takeOption = o < options.length && (r >= requirements.length || state % 2 === 0);
    out.push((takeOption ? options[o++] : requirements[r++]) as string);
  }
  return out;
}

function reorder(d: Definition, seed: number): Definition {
  const b = d.base;
  return {
    ...d,
    base: b.kind === "build" ? { ...b, files: shuffle(b.files, seed) } : b,
    conda:
      d.conda === undefined
        ? undefined
        : {
            ...d.conda,
            dependencies: shuffle(d.conda.dependencies, seed),
            pip: reorderPipSubList(d.conda.pip, seed),
            variables: reorderRecord(d.conda.variables, seed),
          },
    pip:
      d.pip === undefined
        ? undefined
        : {
            ...d.pip,
            requirements: shuffle(d.pip.requirements, seed).map((r) => ({
              ...r,
              hashes: shuffle(r.hashes, seed + 1),
            })),
            constraints: shuffle(d.pip.constraints, seed + 2),
          },
    apt: shuffle([...d.apt, ...d.apt.slice(0, 1)], seed),
    variables: reorderRecord(d.variables, seed),
  };
}

function changeMetadata(d: Definition, seed: number): Definition {
  const b = d.base;
  return {
    ...d,
    kind: d.kind === "conda" ? "envforge" : "conda",
    name: `renamed${seed}`,
    version: String(seed),
    description: `description ${seed}`,
    tags: { ...d.tags, changed: String(seed) },
    base:
      b.kind === "build"
        ? {
            ...b,
            contextPath: `/elsewhere/${seed}`,
            files: b.files.map((f) => ({ ...f, size: f.size + 1 })),
          }
        : b.kind === "image"
          ? { ...b, defaulted: !b.defaulted }
          : b,
    conda:
      d.conda === undefined
        ? undefined
        : {
            ...d.conda,
            name: `other${seed}`,
            prefix: `/opt/other/${seed}`,
            source: { path: "env.yml", text: `# a comment ${seed}\n  name:   x\n` },
          },
  };
}

/** Build-relevant changes; each applies to some definitions (undefined = does not apply). */
const RELEVANT_CHANGES: Record<string, (d: Definition) => Definition | undefined> = {
  "add a conda dependency": (d) =>
    d.conda && { ...d, conda: { ...d.conda, dependencies: [...d.conda.dependencies, "new-pkg"] } },
  "change a conda dependency": (d) =>
    d.conda?.dependencies.length
      ? {
          ...d,
          conda: {
            ...d.conda,
            dependencies: d.conda.dependencies.map((x, i) => (i ? x : `${x}>=1`)),
          },
        }
      : undefined,
  "add a channel": (d) =>
    d.conda && { ...d, conda: { ...d.conda, channels: [...d.conda.channels, "new-channel"] } },
  "reverse channel order": (d) =>
    d.conda && d.conda.channels.length > 1
      ? { ...d, conda: { ...d.conda, channels: [...d.conda.channels].reverse() } }
      : undefined,
  "reverse pip option order": (d) => {
    const options = d.conda?.pip.filter((l) => l.startsWith("-")) ?? [];
    if (d.conda === undefined || options.length < 2) return undefined;
    const reqs = d.conda.pip.filter((l) => !l.startsWith("-"));
    return { ...d, conda: { ...d.conda, pip: [...reqs, ...options.reverse()] } };
  },
  "add a conda pip requirement": (d) =>
    d.conda && { ...d, conda: { ...d.conda, pip: [...d.conda.pip, "new-req"] } },
  "change a conda variable": (d) =>
    d.conda && { ...d, conda: { ...d.conda, variables: { ...d.conda.variables, NEW_VAR: "1" } } },
  "change the image tag": (d) =>
    d.base.kind === "image"
      ? {
          ...d,
          base: { ...d.base, image: { ...d.base.image, tag: `${d.base.image.tag ?? ""}-b` } },
        }
      : undefined,
  "change the Dockerfile": (d) =>
    d.base.kind === "image"
      ? undefined
      : { ...d, base: { ...d.base, dockerfile: `${d.base.dockerfile}\n` } },
  "change a context file's sha256": (d) =>
    d.base.kind === "build" && d.base.files.length > 0
      ? {
          ...d,
          base: {
            ...d.base,
            files: d.base.files.map((f, i) =>
              i
                ? f
                : {
                    ...f,
                    sha256: `sha256:${f.sha256.slice(7).replace(/^./, (c) => (c === "0" ? "1" : "0"))}`,
                  },
            ),
          },
        }
      : undefined,
  "change a context file's mode": (d) =>
    d.base.kind === "build" && d.base.files.length > 0
      ? {
          ...d,
          base: {
            ...d.base,
            files: d.base.files.map((f, i) => (i ? f : { ...f, mode: f.mode ^ 0o100 })),
          },
        }
      : undefined,
  "change the Dockerfile path": (d) =>
    d.base.kind === "build"
      ? { ...d, base: { ...d.base, dockerfilePath: "other/Dockerfile" } }
      : undefined,
  "add a pip requirement": (d) =>
    d.pip && {
      ...d,
      pip: {
        ...d.pip,
        requirements: [
          ...d.pip.requirements,
          { name: "new-req", requirement: "new-req", hashes: [] },
        ],
      },
    },
  "add a pip constraint": (d) =>
    d.pip && {
      ...d,
      pip: {
        ...d.pip,
        constraints: [
          ...d.pip.constraints,
          { name: "new-req", requirement: "new-req<2", hashes: [] },
        ],
      },
    },
  "reverse extra index URL order": (d) =>
    d.pip && d.pip.extraIndexUrls.length > 1
      ? { ...d, pip: { ...d.pip, extraIndexUrls: [...d.pip.extraIndexUrls].reverse() } }
      : undefined,
  "change the index URL": (d) =>
    d.pip && { ...d, pip: { ...d.pip, indexUrl: "http://127.0.0.1:9/other" } },
  "flip pip pre": (d) => d.pip && { ...d, pip: { ...d.pip, pre: !d.pip.pre } },
  "add an apt package": (d) => ({ ...d, apt: [...d.apt, "new-pkg"] }),
  "remove an apt package": (d) => (d.apt.length ? { ...d, apt: d.apt.slice(1) } : undefined),
  "change a variable value": (d) => {
    const [key, value] = Object.entries(d.variables)[0] ?? ["NEW_VAR", undefined];
    return { ...d, variables: { ...d.variables, [key]: `${value ?? ""}-changed` } };
  },
  "change the platform": (d) => ({
    ...d,
    platform: d.platform === "linux-64" ? "linux-aarch64" : "linux-64",
  }),
  "flip user-managed dependencies": (d) => ({
    ...d,
    python: { ...d.python, userManagedDependencies: !d.python.userManagedDependencies },
  }),
  "change the interpreter path": (d) => ({
    ...d,
    python: { ...d.python, interpreterPath: `${d.python.interpreterPath}3` },
  }),
  "drop the conda environment": (d) => (d.conda ? { ...d, conda: undefined } : undefined),
  "drop the pip requirements": (d) => (d.pip ? { ...d, pip: undefined } : undefined),
};

describe("definitionHash", () => {
  it("has the envforge_<32 hex> form", () => {
    fc.assert(fc.property(definition, (d) => HASH_PATTERN.test(definitionHash(d))));
  });

  it("never changes when lists, records or key order are reordered", () => {
    fc.assert(
      fc.property(definition, fc.nat(), (d, seed) => {
        expect(definitionHash(reorder(d, seed))).toBe(definitionHash(d));
        // Object key order of the Definition itself.
        const reversed = Object.fromEntries(Object.entries(d).reverse()) as unknown as Definition;
        expect(definitionHash(reversed)).toBe(definitionHash(d));
      }),
    );
  });

  it("never changes with metadata, source text, comments or where the context lives", () => {
    fc.assert(
      fc.property(definition, fc.nat(), (d, seed) => {
        expect(definitionHash(changeMetadata(d, seed))).toBe(definitionHash(d));
      }),
    );
  });

  it.each(Object.keys(RELEVANT_CHANGES))("always changes when you %s", (name) => {
    const change = RELEVANT_CHANGES[name];
    if (change === undefined) throw new Error(name);
    let applied = 0;
    fc.assert(
      fc.property(definition, (d) => {
        const changed = change(d);
        fc.pre(changed !== undefined);
        applied++;
        expect(definitionHash(changed as Definition)).not.toBe(definitionHash(d));
      }),
      { numRuns: 60 },
    );
    expect(applied).toBeGreaterThan(0);
  });

  it("does not let credentials in index URLs or channels reach the hashed document", () => {
    const d: Definition = {
      kind: "envforge",
      tags: {},
      base: { kind: "image", image: { repository: "debian", tag: "bookworm" }, defaulted: false },
      conda: {
        channels: ["http://127.0.0.1:8000/t/tk-123/private", "http://bob:s3cret@127.0.0.1:8000/c"],
        dependencies: ["python=3.11", "https://erin:conda-pw@127.0.0.1:8000/pkg-1-0.conda"],
        pip: ["--extra-index-url http://alice:hunter2@127.0.0.1:8080/simple", "x"],
        variables: {},
      },
      pip: {
        requirements: [
          {
            name: "lib",
            requirement: "lib @ https://frank:wheel-pw@127.0.0.1/lib-1-py3-none-any.whl",
            hashes: [],
          },
        ],
        constraints: [],
        indexUrl: "https://carol:pa%40ss@127.0.0.1:8443/simple",
        extraIndexUrls: [],
        findLinks: [],
        pre: false,
      },
      apt: [],
      variables: {},
      platform: "linux-64",
      python: { userManagedDependencies: false, interpreterPath: "python" },
    };
    const document = canonicalJson(canonicalDefinition(d));
    for (const secret of [
      "tk-123",
      "s3cret",
      "hunter2",
      "pa%40ss",
      "conda-pw",
      "wheel-pw",
      "bob",
      "alice",
      "carol",
      "erin",
      "frank",
    ]) {
      expect(document).not.toContain(secret);
    }
    // Same index, other credentials: same image, same hash.
    expect(
      definitionHash({
        ...d,
        pip: { ...d.pip!, indexUrl: "https://dave:x@127.0.0.1:8443/simple" },
      }),
    ).toBe(definitionHash(d));
  });
});

describe("stripUrlCredentials", () => {
  it.each([
    ["http://u:p@127.0.0.1:8080/simple", "http://127.0.0.1:8080/simple"],
    ["https://token@host.test/x", "https://host.test/x"],
    ["https://u:p@ss@host.test/x", "https://host.test/x"],
    ["--index-url https://u:p@host.test/simple", "--index-url https://host.test/simple"],
    ["https://host.test/t/abc-123/channel", "https://host.test/channel"],
    ["https://host.test/t/abc", "https://host.test"],
    ["https://host.test/path@not-userinfo", "https://host.test/path@not-userinfo"],
    ["conda-forge", "conda-forge"],
  ])("%s → %s", (input, expected) => {
    expect(stripUrlCredentials(input)).toBe(expected);
  });
});

describe("docs/hashing.md worked example", () => {
  const doc = readFileSync(new URL("../../docs/hashing.md", import.meta.url), "utf8");
  const block = (tag: string): string => {
    const match = new RegExp(`<!-- ${tag} -->\\s*\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(doc);
    if (match?.[1] === undefined) throw new Error(`docs/hashing.md has no ${tag} block`);
    return match[1];
  };

  it("reproduces the documented canonical document and digest", () => {
    const example = JSON.parse(block("example-definition")) as Definition;
    const canonical = block("example-canonical");
    const digest = block("example-hash").trim();
    expect(canonicalJson(canonicalDefinition(example))).toBe(canonical);
    expect(`envforge_${sha256Hex(canonical).slice(0, 32)}`).toBe(digest);
    expect(definitionHash(example)).toBe(digest);
  });
});
