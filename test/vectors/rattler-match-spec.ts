/**
 * rattler's MatchSpec test vectors, transcribed as data.
 *
 * Source: conda/rattler, crates/rattler_conda_types/src/match_spec/parse.rs (test_from_str, its
 * lenient snapshot snapshots/rattler_conda_types__match_spec__parse__tests__test_from_string_Lenient.snap,
 * test_split_version_and_build, test_issue_717, test_issue_736, test_parse_channel_subdir),
 * commit 92dc77433054d6c7f2d135ae17ecbb6d35cce05f. Licence: BSD-3-Clause (Copyright (c) 2023,
 * prefix.dev GmbH).
 *
 * rattler parses channels into URLs with a configured base; here the channel is the name as
 * written, which is what envforge keeps (channels are resolved against the definition's list).
 * Rows for file paths and Windows paths are left out: envforge takes no local package files in a
 * definition except under its build context (a different rule, tested with the build context).
 */
import { RATTLER_UNDERSCORE } from "./conda-match-spec.js";
import type { MatchSpecVector } from "./match-spec-vector.js";

export const RATTLER_MATCH_SPEC_SOURCE =
  "conda/rattler crates/rattler_conda_types/src/match_spec/parse.rs @ 92dc77433054d6c7f2d135ae17ecbb6d35cce05f";

export const RATTLER_MATCH_SPEC_VECTORS: readonly MatchSpecVector[] = [
  // test_from_str, lenient snapshot
  { spec: "blas *.* mkl", name: "blas", version: "*", build: "mkl" },
  { spec: "foo=1.0=py27_0", name: "foo", version: "==1.0", build: "py27_0" },
  { spec: "foo==1.0=py27_0", name: "foo", version: "==1.0", build: "py27_0" },
  {
    spec: "https://conda.anaconda.org/conda-forge/linux-64/py-rattler-0.6.1-py39h8169da8_0.conda",
    name: "py-rattler",
    extra: {
      url: "https://conda.anaconda.org/conda-forge/linux-64/py-rattler-0.6.1-py39h8169da8_0.conda",
    },
  },
  { spec: "python 3.8.* *_cpython", name: "python", version: "3.8.*", build: "*_cpython" },
  { spec: "pytorch=*=cuda*", name: "pytorch", version: "*", build: "cuda*" },
  { spec: "x264 >=1!164.3095,<1!165", name: "x264", version: ">=1!164.3095,<1!165" },
  {
    spec: "conda-forge::foo[version=1.0.*]",
    name: "foo",
    version: "1.0.*",
    channel: "conda-forge",
  },
  {
    spec: 'conda-forge::foo[version=1.0.*, build_number=">6"]',
    name: "foo",
    version: "1.0.*",
    channel: "conda-forge",
    extra: { build_number: ">6" },
  },
  { spec: "python ==2.7.*.*|>=3.6", name: "python", version: "2.7.*|>=3.6" },
  { spec: "python=3.9", name: "python", version: "3.9.*" },
  { spec: "python=*", name: "python", version: "*" },
  {
    spec: "https://c.com/p/conda/linux-64::python[version=3.9]",
    name: "python",
    version: "==3.9",
    channel: "https://c.com/p/conda",
    subdir: "linux-64",
  },
  {
    spec: "https://c.com/p/conda::python[version=3.9, subdir=linux-64]",
    name: "python",
    version: "==3.9",
    channel: "https://c.com/p/conda",
    subdir: "linux-64",
  },
  // "subdir in brackets take precedence"
  {
    spec: "conda-forge/linux-32::python[version=3.9, subdir=linux-64]",
    name: "python",
    version: "==3.9",
    channel: "conda-forge",
    subdir: "linux-64",
  },
  {
    spec: 'conda-forge/linux-32::python ==3.9[subdir=linux-64, build_number="0"]',
    name: "python",
    version: "==3.9",
    channel: "conda-forge",
    subdir: "linux-64",
    extra: { build_number: "0" },
  },
  {
    spec: "python ==3.9[channel=conda-forge]",
    name: "python",
    version: "==3.9",
    channel: "conda-forge",
  },
  {
    spec: "python ==3.9[channel=conda-forge/linux-64]",
    name: "python",
    version: "==3.9",
    channel: "conda-forge",
    subdir: "linux-64",
  },
  { spec: "rust ~=1.2.3", name: "rust", version: "~=1.2.3" },
  { spec: "./relative/channel::package", name: "package", channel: "./relative/channel" },
  {
    spec: "python[channel=https://conda.anaconda.org/python/conda,version=3.9]",
    name: "python",
    version: "==3.9",
    channel: "https://conda.anaconda.org/python/conda",
  },
  {
    spec: "channel/win-64::foobar[channel=conda-forge, subdir=linux-64]",
    name: "foobar",
    channel: "conda-forge",
    subdir: "linux-64",
  },
  // Issue #1004
  { spec: "numpy>=2.*.*", name: "numpy", version: ">=2" },
  // Pixi issue 3922
  {
    spec: "bird_tool_utils_python =0.*,>=0.4.1",
    name: "bird_tool_utils_python",
    version: "0.*,>=0.4.1",
  },
  // test_split_version_and_build (as whole specs, name "x")
  { spec: "x 2.7|>=3.6", name: "x", version: "2.7|>=3.6" },
  { spec: "x==1.0=py27_0", name: "x", version: "==1.0", build: "py27_0" },
  { spec: "x=*=cuda", name: "x", version: "*", build: "cuda" },
  { spec: "x =1.2.3 0", name: "x", version: "==1.2.3", build: "0" },
  { spec: "x 1.2.3=0", name: "x", version: "1.2.3", build: "0" },
  { spec: "x >=1.0 , < 2.0 py34_0", name: "x", version: ">=1.0,<2.0", build: "py34_0" },
  { spec: "x =1.2.3 ", name: "x", version: "1.2.3.*" },
  { spec: "x >1.8,<2|==1.7", name: "x", version: ">1.8,<2|==1.7" },
  { spec: "x * openblas_0", name: "x", build: "openblas_0" },
  { spec: "x * *", name: "x", version: "*", build: "*" },
  { spec: "x >=1!164.3095,<1!165", name: "x", version: ">=1!164.3095,<1!165" },
  { spec: "x =3.7b_", name: "x", version: "3.7b_.*", refused: RATTLER_UNDERSCORE },
  { spec: "x ==3.7b_", name: "x", version: "==3.7b_", refused: RATTLER_UNDERSCORE },
  {
    spec: "x =1.0_=py27_0",
    name: "x",
    version: "==1.0_",
    build: "py27_0",
    refused: RATTLER_UNDERSCORE,
  },
  // test_issue_717: pip extras are not conda
  {
    spec: "ray[default,data] >=2.9.0,<3.0.0",
    name: "ray",
    refused: "rattler refuses it too (pip extras in a conda spec)",
  },
];
