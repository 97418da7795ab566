/**
 * conda's own VersionSpec test vectors, transcribed as data.
 *
 * Source: conda/conda, tests/models/test_version.py (test_ver_eval, test_ver_eval_errors,
 * test_version_spec_2, test_match, test_local_identifier, test_not_eq_star,
 * test_compound_versions, test_invalid_version_specs, test_compatible_release_versions,
 * test_pep_440_arbitrary_equality_operator), commit 0f64223fb8da4328457a69fe6483959dbb783152.
 * Licence: BSD-3-Clause (Copyright (c) 2012, Anaconda, Inc.).
 *
 * Regular-expression specs (`^1\.7\.1$`) and globs inside a version (`1.*.1`) are conda-only:
 * rattler, which solves envforge's environments, refuses them, so envforge does too
 * (docs/match-spec.md); those rows are in CONDA_ONLY_VERSION_SPECS.
 */
import type { VersionMatchVector, VersionParseVector } from "./match-spec-vector.js";

export const CONDA_VERSION_SPEC_SOURCE =
  "conda/conda tests/models/test_version.py @ 0f64223fb8da4328457a69fe6483959dbb783152";

const ver = (version: string, rows: readonly (readonly [string, boolean])[]) =>
  rows.map(([spec, matches]) => ({ spec, version, matches }));

export const CONDA_VERSION_MATCH_VECTORS: readonly VersionMatchVector[] = [
  // test_ver_eval: ver_eval(version, spec)
  { spec: "==1.7", version: "1.7.0", matches: true },
  { spec: "<=1.7", version: "1.7.0", matches: true },
  { spec: "<1.7", version: "1.7.0", matches: false },
  { spec: ">=1.7", version: "1.7.0", matches: true },
  { spec: ">1.7", version: "1.7.0", matches: false },
  { spec: ">=1.7", version: "1.6.7", matches: false },
  { spec: ">2013b", version: "2013a", matches: false },
  { spec: ">2013b", version: "2013k", matches: true },
  { spec: ">2013b", version: "3.0.0", matches: false },
  { spec: ">1.0.0a", version: "1.0.0", matches: true },
  { spec: ">1.0.0*", version: "1.0.0", matches: true },
  { spec: "1.0*", version: "1.0", matches: true },
  { spec: "1.0*", version: "1.0.0", matches: true },
  { spec: "1.0.0*", version: "1.0", matches: true },
  { spec: "1.0.0*", version: "1.0.1", matches: false },
  { spec: "2013a*", version: "2013a", matches: true },
  { spec: "2013b*", version: "2013a", matches: false },
  {
    spec: "2013a*",
    version: "2013ab",
    matches: true,
    rattler: { matches: false, why: "rattler's starts-with compares whole segments, not text" },
  },
  { spec: "1.2.4*", version: "1.3.4", matches: false },
  { spec: "1.2.3*", version: "1.2.3+4.5.6", matches: true },
  { spec: "1.2.3+4*", version: "1.2.3+4.5.6", matches: true },
  { spec: "1.2.3+5*", version: "1.2.3+4.5.6", matches: false },
  { spec: "1.2.4+5*", version: "1.2.3+4.5.6", matches: false },
  // test_match: every spec against 1.7.1 (regex rows: CONDA_ONLY_VERSION_SPECS)
  ...ver("1.7.1", [
    ["1.7.*", true],
    ["1.7.1", true],
    ["1.7.0", false],
    ["1.7", false],
    ["1.5.*", false],
    [">=1.5", true],
    ["!=1.5", true],
    ["!=1.7.1", false],
    ["==1.7.1", true],
    ["==1.7", false],
    ["==1.7.2", false],
    ["==1.7.1.0", true],
    ["1.7.*|1.8.*", true],
    [">1.7,<1.8", true],
    [">1.7.1,<1.8", false],
    ["*", true],
    ["1.5.*|>1.7,<1.8", true],
    ["1.5.*|>1.7,<1.7.1", false],
  ]),
  // test_local_identifier: a version matches itself
  { spec: "1.7.0", version: "1.7.0", matches: true },
  { spec: "1.7.0.post123", version: "1.7.0.post123", matches: true },
  { spec: "1.7.0.post123.gabcdef9", version: "1.7.0.post123.gabcdef9", matches: true },
  { spec: "1.7.0.post123+gabcdef9", version: "1.7.0.post123+gabcdef9", matches: true },
  // test_not_eq_star
  { spec: "=3.3", version: "3.3.1", matches: true },
  { spec: "=3.3", version: "3.3", matches: true },
  { spec: "=3.3", version: "3.4", matches: false },
  { spec: "3.3.*", version: "3.3.1", matches: true },
  { spec: "3.3.*", version: "3.3", matches: true },
  { spec: "3.3.*", version: "3.4", matches: false },
  { spec: "=3.3.*", version: "3.3.1", matches: true },
  { spec: "=3.3.*", version: "3.3", matches: true },
  { spec: "=3.3.*", version: "3.4", matches: false },
  { spec: "!=3.3.*", version: "3.3.1", matches: false },
  { spec: "!=3.3.*", version: "3.4", matches: true },
  { spec: "!=3.3.*", version: "3.4.1", matches: true },
  { spec: "!=3.3", version: "3.3.1", matches: true },
  { spec: "!=3.3", version: "3.3.0.0", matches: false },
  { spec: "!=3.3.*", version: "3.3.0.0", matches: false },
  // test_compound_versions
  ...ver("2.6.8", [[">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", false]]),
  ...ver("2.7.2", [[">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", true]]),
  ...ver("3.3", [[">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", false]]),
  ...ver("3.3.4", [[">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", false]]),
  ...ver("3.4", [[">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", true]]),
  ...ver("3.4a", [[">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", true]]),
  // test_compatible_release_versions
  { spec: "~=1.10", version: "1.11.0", matches: true },
  { spec: "~=1.10.0", version: "1.11.0", matches: false },
  { spec: "~=3.3.2", version: "3.4.0", matches: false },
  { spec: "~=3.3.2", version: "3.3.1", matches: false },
  { spec: "~=3.3.2", version: "3.3.2.0", matches: true },
  { spec: "~=3.3.2", version: "3.3.3", matches: true },
  { spec: "~=3.3.2|==2.2", version: "2.2.0", matches: true },
  { spec: "~=3.3.2|==2.2", version: "3.3.3", matches: true },
  { spec: "~=3.3.2|==2.2", version: "2.2.1", matches: false },
];

export const CONDA_VERSION_PARSE_VECTORS: readonly VersionParseVector[] = [
  // test_version_spec_2
  {
    spec: "( (1.5|((1.6|1.7), 1.8), 1.9 |2.0))|2.1",
    sameAs: "1.5|1.6|1.7,1.8,1.9|2.0|2.1",
    envforge: {
      sameAs: "1.5|2.0|2.1",
      why: "conda prints the tree without its groups (conda#15654); with them it means 1.5|2.0|2.1",
    },
  },
  { spec: "(1.5" },
  { spec: "1.5)" },
  { spec: "1.5||1.6" },
  { spec: "^1.5" },
  // test_version_spec_3 / _4
  { spec: "1.7.1*", sameAs: "1.7.1.*" },
  { spec: "1.7.1*,1.8.1*", sameAs: "1.7.1.*,1.8.1.*" },
  // test_ver_eval_errors
  { spec: "><2.4.5" },
  { spec: "!!2.4.5" },
  { spec: "!" },
  // test_invalid_version_specs
  { spec: "~" },
  { spec: "^" },
  { spec: "1.2+" },
  { spec: "+1.2" },
  { spec: "+1.2+" },
  { spec: "++" },
  { spec: "c +, 0/|0 *" },
  { spec: ")|(" },
  { spec: "==" },
  { spec: "=" },
  { spec: ">=" },
  { spec: "<=" },
  // test_compatible_release_versions
  {
    spec: "~=3.3.2.*",
    envforge: { sameAs: "~=3.3.2", why: "rattler (the solver) drops the glob; conda refuses" },
  },
  // test_pep_440_arbitrary_equality_operator
  { spec: "===3.3.2" },
];

/** conda reads these (regular expressions, inner globs); rattler and envforge refuse them. */
export const CONDA_ONLY_VERSION_SPECS: readonly string[] = [
  "^1.7.1$",
  "^1\\.7\\.1$",
  "^1\\.7\\.[0-9]+$",
  "^1\\.8.*$",
  "^1\\.[5-8]\\.1$",
  "^[^1].*$",
  "^[0-9+]+\\.[0-9+]+\\.[0-9]+$",
  "^$",
  "^.*$",
  "1.7.*|^0.*$",
  "1.*.1",
];
