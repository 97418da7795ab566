import { Version, VersionSpec } from "@conda-org/rattler";
import { describe, expect, it } from "vitest";
import { parseMatchSpec, parseVersionSpec } from "../../src/definition/match-spec.js";
import { CONDA_MATCH_SPEC_SOURCE, CONDA_MATCH_SPEC_VECTORS } from "./conda-match-spec.js";
import {
  CONDA_ONLY_VERSION_SPECS,
  CONDA_VERSION_MATCH_VECTORS,
  CONDA_VERSION_PARSE_VECTORS,
  CONDA_VERSION_SPEC_SOURCE,
} from "./conda-version-spec.js";
import type { MatchSpecVector, VersionParseVector } from "./match-spec-vector.js";
import { RATTLER_MATCH_SPEC_SOURCE, RATTLER_MATCH_SPEC_VECTORS } from "./rattler-match-spec.js";
import {
  RATTLER_VERSION_MATCH_VECTORS,
  RATTLER_VERSION_PARSE_VECTORS,
  RATTLER_VERSION_SPEC_SOURCE,
} from "./rattler-version-spec.js";

/**
 * Versions to compare two specs on: every version written in either, and its neighbours
 * (a pre-release, a longer and a bumped one), so "same meaning" is tested at every edge.
 */
function probes(...specs: readonly string[]): string[] {
  const found = new Set<string>(["0", "1", "1.0", "2", "100"]);
  for (const spec of specs) {
    for (const match of spec.matchAll(/(\d+!)?\d[A-Za-z0-9_.+]*/g)) {
      const base = match[0].replace(/[._+]+$/, "");
      const parts = base.split(".");
      const last = Number(parts.at(-1));
      found.add(base);
      found.add(`${base}.0`);
      found.add(`${base}.1`);
      found.add(`${base}a1`);
      if (Number.isInteger(last)) found.add([...parts.slice(0, -1), String(last + 1)].join("."));
      if (parts.length > 1) found.add(parts.slice(0, -1).join("."));
    }
  }
  return [...found].filter((text) => {
    try {
      new Version(text).free();
      return true;
    } catch {
      return false;
    }
  });
}

/** Both specs match the same versions: `ours` read strictly, `theirs` as rattler reads files. */
function sameMeaning(ours: string | undefined, theirs: string | undefined): string[] {
  const mine = new VersionSpec(ours ?? "*", "strict");
  const peer = new VersionSpec(theirs ?? "*", "lenient");
  const differences: string[] = [];
  for (const candidate of probes(ours ?? "", theirs ?? "")) {
    const version = new Version(candidate);
    if (mine.matches(version) !== peer.matches(version)) {
      differences.push(`${ours ?? "*"} and ${theirs ?? "*"} differ on ${candidate}`);
    }
    version.free();
  }
  mine.free();
  peer.free();
  return differences;
}

function checkMatchSpec(vector: MatchSpecVector): void {
  const result = parseMatchSpec(vector.spec);
  if (vector.refused !== undefined) {
    expect(result.ok, `envforge refuses it: ${vector.refused}`).toBe(false);
    return;
  }
  if (!result.ok) throw new Error(`${vector.spec}: ${result.error.message}`);
  const { spec } = result;
  expect(spec.name).toBe(vector.name);
  expect(spec.build).toBe(vector.build === "*" ? undefined : vector.build);
  expect(spec.channel).toBe(vector.channel);
  expect(spec.subdir).toBe(vector.subdir);
  for (const [key, value] of Object.entries(vector.extra ?? {})) {
    expect(spec.extra[key]).toBe(value);
  }
  expect(sameMeaning(spec.version, vector.version)).toEqual([]);
  if (vector.canonical !== undefined) {
    expect(parseMatchSpec(vector.canonical)).toEqual(result);
  }
}

function checkVersionParse(vector: VersionParseVector): void {
  const result = parseVersionSpec(vector.spec);
  const sameAs = vector.envforge?.sameAs ?? vector.sameAs;
  if (sameAs === undefined) {
    expect(result.ok).toBe(false);
    return;
  }
  if (!result.ok) throw new Error(`${vector.spec}: ${result.error.message}`);
  expect(sameMeaning(result.version, sameAs)).toEqual([]);
}

describe(`MatchSpec vectors: ${CONDA_MATCH_SPEC_SOURCE}`, () => {
  it.each(CONDA_MATCH_SPEC_VECTORS.map((v) => [v.spec, v] as const))("%s", (_, vector) =>
    checkMatchSpec(vector),
  );
});

describe(`MatchSpec vectors: ${RATTLER_MATCH_SPEC_SOURCE}`, () => {
  it.each(RATTLER_MATCH_SPEC_VECTORS.map((v) => [v.spec, v] as const))("%s", (_, vector) =>
    checkMatchSpec(vector),
  );
});

describe(`VersionSpec vectors: ${CONDA_VERSION_SPEC_SOURCE}`, () => {
  it.each(
    CONDA_VERSION_MATCH_VECTORS.map(
      (v) => [v.spec, v.version, v.rattler?.matches ?? v.matches] as const,
    ),
  )("%s on %s is %s", (spec, version, matches) => {
    const result = parseVersionSpec(spec);
    if (!result.ok) throw new Error(`${spec}: ${result.error.message}`);
    const parsed = new VersionSpec(result.version ?? "*", "strict");
    const candidate = new Version(version);
    expect(parsed.matches(candidate)).toBe(matches);
    candidate.free();
    parsed.free();
  });
  it.each(CONDA_VERSION_PARSE_VECTORS.map((v) => [v.spec, v] as const))("reads %s", (_, v) =>
    checkVersionParse(v),
  );
  it.each(CONDA_ONLY_VERSION_SPECS)("refuses conda's regular expression %s, as rattler", (spec) => {
    expect(parseVersionSpec(spec).ok).toBe(false);
  });
});

describe(`VersionSpec vectors: ${RATTLER_VERSION_SPEC_SOURCE}`, () => {
  it.each(RATTLER_VERSION_MATCH_VECTORS.map((v) => [v.spec, v.version, v.matches] as const))(
    "%s on %s is %s",
    (spec, version, matches) => {
      const result = parseVersionSpec(spec);
      if (!result.ok) throw new Error(`${spec}: ${result.error.message}`);
      const parsed = new VersionSpec(result.version ?? "*", "strict");
      const candidate = new Version(version);
      expect(parsed.matches(candidate)).toBe(matches);
      candidate.free();
      parsed.free();
    },
  );
  it.each(RATTLER_VERSION_PARSE_VECTORS.map((v) => [v.spec, v] as const))("reads %s", (_, v) =>
    checkVersionParse(v),
  );
});
