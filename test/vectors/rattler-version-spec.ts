/**
 * rattler's VersionSpec test vectors, transcribed as data.
 *
 * Source: conda/rattler, crates/rattler_conda_version/src/version_spec/mod.rs (tests: test_matches,
 * issue_204, issue_685, issue_225, issue_235, issue_mkl_double, issue_722, issue_1004,
 * issue_bracket_printing, issue_star_operator) and crates/rattler_conda_types/src/version_spec/parse.rs
 * (logical constraints), commit 92dc77433054d6c7f2d135ae17ecbb6d35cce05f.
 * Licence: BSD-3-Clause (Copyright (c) 2023, prefix.dev GmbH).
 *
 * rattler has a lenient and a strict reading; envforge reads what the lenient one reads (that is
 * what real repodata and real environment files contain) and writes what the strict one accepts.
 */
import type { VersionMatchVector, VersionParseVector } from "./match-spec-vector.js";

export const RATTLER_VERSION_SPEC_SOURCE =
  "conda/rattler crates/rattler_conda_version/src/version_spec/mod.rs @ 92dc77433054d6c7f2d135ae17ecbb6d35cce05f";

export const RATTLER_VERSION_MATCH_VECTORS: readonly VersionMatchVector[] = [
  // test_matches
  { spec: ">=1.2.3,<2.0.0", version: "1.2.0", matches: false },
  { spec: "==1.2.0", version: "1.2.0", matches: true },
  { spec: ">=1.2.3,<2.0.0", version: "1.2.3", matches: true },
  { spec: "==1.2.0", version: "1.2.3", matches: false },
  { spec: ">=1.2.3,<2.0.0", version: "1!1.2.3", matches: false },
  { spec: "==1.2.0", version: "1!1.2.3", matches: false },
  { spec: ">=1!1.2,<1!2", version: "1!1.2.3", matches: true },
  { spec: "1!1.2.*", version: "1!1.2.3", matches: true },
  // issue_685
  { spec: "2.38.*", version: "2.38", matches: true },
  { spec: "2.38.0.*", version: "2.38", matches: true },
  { spec: "2.38.0.1*", version: "2.38", matches: false },
  { spec: "2.38.0a.*", version: "2.38", matches: false },
  // issue_225
  { spec: "~=2.4", version: "3.1", matches: false },
  { spec: "~=2.4", version: "2.4", matches: true },
  { spec: "~=2.4", version: "2.5", matches: true },
  { spec: "~=2.4", version: "2.1", matches: false },
];

export const RATTLER_VERSION_PARSE_VECTORS: readonly VersionParseVector[] = [
  // issue_204
  { spec: ">=3.8<3.9" },
  // issue_235
  { spec: ">2.10*", sameAs: ">=2.10" },
  // issue_mkl_double
  { spec: "2023.*.*", sameAs: "2023.*" },
  { spec: "2023.*.0" },
  // issue_722
  { spec: "0.2.18.*.", sameAs: "0.2.18.*" },
  // issue_1004
  { spec: ">=2.*.*", sameAs: ">=2" },
  // issue_bracket_printing (the same spec, printed without needless groups)
  { spec: "(>=1,<2)|>3", sameAs: ">=1,<2|>3" },
  { spec: "(>=1|<2),>3", sameAs: "(>=1|<2),>3" },
  { spec: "(>=1|<2)|>3", sameAs: ">=1|<2|>3" },
  { spec: "(>=1,<2),>3", sameAs: ">=1,<2,>3" },
  { spec: "((>=1|>2),(>3|>4))|(>5,<6)", sameAs: "(>=1|>2),(>3|>4)|>5,<6" },
  // test_group_flattening
  { spec: "1.2.3,(4.5.6),<=7.8.9", sameAs: "==1.2.3,==4.5.6,<=7.8.9" },
  { spec: "((((1.5))))", sameAs: "==1.5" },
  // issue_star_operator (lenient)
  { spec: ">=*", sameAs: "*" },
  { spec: "==*", sameAs: "*" },
  { spec: "=*", sameAs: "*" },
  { spec: "~=*", sameAs: "*" },
  { spec: "<=*", sameAs: "*" },
  { spec: ">*" },
  { spec: "!=*" },
  { spec: "<*" },
];
