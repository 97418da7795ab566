/**
 * conda's own MatchSpec test vectors, transcribed as data.
 *
 * Source: conda/conda, tests/models/test_match_spec.py (test_parse_spec_str_no_brackets,
 * test_parse_spec_str_with_brackets, test_star_name, test_parse_equal_equal, test_parse_hard,
 * test_parse_channel_subdir, test_parse_build_number_brackets, test_canonical_string_forms,
 * test_simple, test_pip_style, test_parse_errors), commit 0f64223fb8da4328457a69fe6483959dbb783152.
 * Licence: BSD-3-Clause (Copyright (c) 2012, Anaconda, Inc.).
 *
 * Each row is what conda's `_parse_spec_str` returns (versions as conda writes them; the test
 * compares meaning, through rattler, not spelling). `canonical` is conda's `str(MatchSpec)` where
 * the source pins one: envforge must read it back to the same spec. A row conda reads but envforge
 * refuses on purpose carries `refused`: the reason, also listed in docs/match-spec.md.
 */
import type { MatchSpecVector } from "./match-spec-vector.js";

export const RATTLER_UNDERSCORE =
  'rattler 0.3.5, which solves envforge\'s environments, cannot read a version ending in "_"';

export const CONDA_MATCH_SPEC_SOURCE =
  "conda/conda tests/models/test_match_spec.py @ 0f64223fb8da4328457a69fe6483959dbb783152";

export const CONDA_MATCH_SPEC_VECTORS: readonly MatchSpecVector[] = [
  // test_parse_spec_str_no_brackets
  { spec: "numpy", name: "numpy" },
  {
    spec: "numpy=",
    name: "numpy",
    refused: "conda marks it a bug to accept a bare '=' (conda#12046, xfail in the same file)",
  },
  { spec: "defaults::numpy", name: "numpy", channel: "defaults" },
  {
    spec: "https://repo.anaconda.com/pkgs/free::numpy",
    name: "numpy",
    // conda shortens a known host to "pkgs/free"; envforge keeps the URL, the same channel.
    channel: "https://repo.anaconda.com/pkgs/free",
  },
  { spec: "defaults::numpy=1.8", name: "numpy", channel: "defaults", version: "1.8*" },
  { spec: "defaults::numpy =1.8", name: "numpy", channel: "defaults", version: "1.8*" },
  {
    spec: "defaults::numpy=1.8=py27_0",
    name: "numpy",
    channel: "defaults",
    version: "1.8",
    build: "py27_0",
  },
  {
    spec: "defaults::numpy 1.8 py27_0",
    name: "numpy",
    channel: "defaults",
    version: "1.8",
    build: "py27_0",
  },
  // test_parse_spec_str_with_brackets: a bracket value wins over the one before it
  { spec: "defaults::numpy[channel=anaconda]", name: "numpy", channel: "anaconda" },
  {
    spec: "defaults::numpy 1.8 py27_0[channel=anaconda]",
    name: "numpy",
    channel: "anaconda",
    version: "1.8",
    build: "py27_0",
  },
  {
    spec: "defaults::numpy=1.8=py27_0 [channel=anaconda,version=1.9, build=3]",
    name: "numpy",
    channel: "anaconda",
    version: "1.9",
    build: "3",
  },
  {
    spec: "defaults::numpy=1.8=py27_0 [channel='anaconda',version=\">=1.8,<2|1.9\", build='3']",
    name: "numpy",
    channel: "anaconda",
    version: ">=1.8,<2|1.9",
    build: "3",
  },
  {
    spec: "tensorflow[name=* version=* md5=253b922ecdb5a30884875948b8904983]",
    name: "tensorflow",
    extra: { md5: "253b922ecdb5a30884875948b8904983" },
  },
  {
    spec: "tensorflow[name=pytorch]",
    name: "tensorflow",
    refused: "conda silently ignores a second, different name; envforge names the conflict",
  },
  {
    spec: "defaults::numpy=1.8=py27_0 [name=\"pytorch\" channel='anaconda',version=\">=1.8,<2|1.9\", build='3']",
    name: "numpy",
    refused: "conda silently ignores a second, different name; envforge names the conflict",
  },
  // test_star_name
  { spec: "* 2.7.4", name: "*", version: "2.7.4" },
  { spec: "* >=1.3 2", name: "*", version: ">=1.3", build: "2" },
  // test_parse_equal_equal
  { spec: "numpy==1.7", name: "numpy", version: "1.7" },
  { spec: "numpy ==1.7", name: "numpy", version: "1.7" },
  { spec: "numpy=1.7", name: "numpy", version: "1.7*" },
  { spec: "numpy =1.7", name: "numpy", version: "1.7*" },
  { spec: "numpy !=1.7", name: "numpy", version: "!=1.7" },
  // test_parse_hard
  { spec: "numpy~=1.7.1", name: "numpy", version: "~=1.7.1" },
  { spec: "numpy>1.8,<2|==1.7", name: "numpy", version: ">1.8,<2|==1.7" },
  {
    spec: "numpy >1.8,<2|==1.7,!=1.9,~=1.7.1 py34_0",
    name: "numpy",
    version: ">1.8,<2|==1.7,!=1.9,~=1.7.1",
    build: "py34_0",
  },
  { spec: "*>1.8,<2|==1.7", name: "*", version: ">1.8,<2|==1.7" },
  { spec: "* >1.8,<2|==1.7", name: "*", version: ">1.8,<2|==1.7" },
  { spec: "* 1 *", name: "*", version: "1", build: "*" },
  { spec: "* * openblas_0", name: "*", version: "*", build: "openblas_0" },
  { spec: "* * *", name: "*", version: "*", build: "*" },
  { spec: "* *", name: "*", version: "*" },
  // test_parse_errors
  { spec: "!xyz 1.3", name: "!xyz", refused: "conda refuses it too" },
  // test_parse_channel_subdir
  { spec: "conda-forge::foo>=1.0", name: "foo", channel: "conda-forge", version: ">=1.0" },
  {
    spec: "conda-forge/linux-32::foo>=1.0",
    name: "foo",
    channel: "conda-forge",
    subdir: "linux-32",
    version: ">=1.0",
  },
  { spec: "*/linux-32::foo>=1.0", name: "foo", channel: "*", subdir: "linux-32", version: ">=1.0" },
  // test_parse_parens
  {
    spec: "conda-forge::foo[build=3](target=blarg,optional)",
    name: "foo",
    refused: "conda drops the (target=…,optional) part unread; envforge does not drop input",
  },
  // test_parse_build_number_brackets
  { spec: "python[build_number=3]", name: "python", extra: { build_number: "3" } },
  { spec: "python[build_number='>3']", name: "python", extra: { build_number: ">3" } },
  { spec: "python[build_number='>=3']", name: "python", extra: { build_number: ">=3" } },
  { spec: "python[build_number='<3']", name: "python", extra: { build_number: "<3" } },
  { spec: "python[build_number='<=3']", name: "python", extra: { build_number: "<=3" } },
  // test_canonical_string_forms (input, and conda's canonical text)
  { spec: "numpy=1.7", name: "numpy", version: "1.7*", canonical: "numpy=1.7" },
  { spec: "numpy 1.7*", name: "numpy", version: "1.7*", canonical: "numpy=1.7" },
  { spec: "numpy 1.7.*", name: "numpy", version: "1.7*", canonical: "numpy=1.7" },
  { spec: "numpy[version='1.7*']", name: "numpy", version: "1.7*", canonical: "numpy=1.7" },
  { spec: "numpy[version=1.7.*]", name: "numpy", version: "1.7*", canonical: "numpy=1.7" },
  { spec: "numpy==1.7", name: "numpy", version: "==1.7", canonical: "numpy==1.7" },
  { spec: "numpy[version='1.7']", name: "numpy", version: "==1.7", canonical: "numpy==1.7" },
  { spec: "numpy 1.7", name: "numpy", version: "==1.7", canonical: "numpy==1.7" },
  {
    spec: "numpy[version='1.7|1.8']",
    name: "numpy",
    version: "1.7|1.8",
    canonical: "numpy[version='1.7|1.8']",
  },
  {
    spec: 'numpy[version="1.7,1.8"]',
    name: "numpy",
    version: "1.7,1.8",
    canonical: "numpy[version='1.7,1.8']",
  },
  { spec: "numpy >1.7", name: "numpy", version: ">1.7", canonical: "numpy[version='>1.7']" },
  { spec: "numpy>=1.7", name: "numpy", version: ">=1.7", canonical: "numpy[version='>=1.7']" },
  {
    spec: "numpy=1.7=py3*_2",
    name: "numpy",
    version: "==1.7",
    build: "py3*_2",
    canonical: "numpy==1.7[build=py3*_2]",
  },
  {
    spec: "numpy=1.7.*=py3*_2",
    name: "numpy",
    version: "1.7*",
    build: "py3*_2",
    canonical: "numpy=1.7[build=py3*_2]",
  },
  { spec: "defaults::numpy", name: "numpy", channel: "defaults", canonical: "defaults::numpy" },
  {
    spec: "numpy[channel=defaults]",
    name: "numpy",
    channel: "defaults",
    canonical: "defaults::numpy",
  },
  {
    spec: "numpy[channel=conda-forge]",
    name: "numpy",
    channel: "conda-forge",
    canonical: "conda-forge::numpy",
  },
  {
    spec: "numpy[channel=defaults,subdir=osx-64]",
    name: "numpy",
    channel: "defaults",
    subdir: "osx-64",
    canonical: "defaults/osx-64::numpy",
  },
  {
    spec: "defaults/win-32::numpy",
    name: "numpy",
    channel: "defaults",
    subdir: "win-32",
    canonical: "defaults/win-32::numpy",
  },
  {
    spec: "numpy[channel=conda-forge,subdir=noarch]",
    name: "numpy",
    channel: "conda-forge",
    subdir: "noarch",
    canonical: "conda-forge/noarch::numpy",
  },
  {
    spec: "numpy[subdir=win-32]",
    name: "numpy",
    subdir: "win-32",
    canonical: "numpy[subdir=win-32]",
  },
  { spec: "*/win-32::numpy", name: "numpy", channel: "*", subdir: "win-32" },
  {
    spec: '*/win-32::numpy[subdir="osx-64"]',
    name: "numpy",
    channel: "*",
    subdir: "osx-64",
  },
  {
    spec: "numpy=1.10=py38_0",
    name: "numpy",
    version: "==1.10",
    build: "py38_0",
    canonical: "numpy==1.10=py38_0",
  },
  {
    spec: "numpy[version=1.10 build=py38_0]",
    name: "numpy",
    version: "==1.10",
    build: "py38_0",
    canonical: "numpy==1.10=py38_0",
  },
  { spec: "numpy!=1.10", name: "numpy", version: "!=1.10", canonical: "numpy!=1.10" },
  {
    spec: "numpy!=1.10 py38_0",
    name: "numpy",
    version: "!=1.10",
    build: "py38_0",
    canonical: "numpy[version='!=1.10',build=py38_0]",
  },
  {
    spec: "numpy !=1.10=py38_0",
    name: "numpy",
    version: "!=1.10",
    build: "py38_0",
    canonical: "numpy[version='!=1.10',build=py38_0]",
  },
  {
    spec: "numpy >1.7,!=1.10 py38_0",
    name: "numpy",
    version: ">1.7,!=1.10",
    build: "py38_0",
    canonical: "numpy[version='>1.7,!=1.10',build=py38_0]",
  },
  { spec: "numpy!=1.10.*", name: "numpy", version: "!=1.10.*", canonical: "numpy!=1.10.*" },
  {
    spec: "numpy=1.10.*,!=1.10.2",
    name: "numpy",
    version: "=1.10.*,!=1.10.2",
    canonical: "numpy[version='=1.10.*,!=1.10.2']",
  },
  { spec: "numpy ~=1.10.1", name: "numpy", version: "~=1.10.1", canonical: "numpy~=1.10.1" },
  {
    spec: "numpy ~=1.10.1 py38_0",
    name: "numpy",
    version: "~=1.10.1",
    build: "py38_0",
    canonical: "numpy[version='~=1.10.1',build=py38_0]",
  },
  {
    spec: "openssl=1.1.1_",
    name: "openssl",
    version: "1.1.1_*",
    canonical: "openssl=1.1.1_",
    refused: RATTLER_UNDERSCORE,
  },
  {
    spec: "openssl>=1.1.1_,!=1.1.1c",
    name: "openssl",
    version: ">=1.1.1_,!=1.1.1c",
    canonical: "openssl[version='>=1.1.1_,!=1.1.1c']",
    refused: RATTLER_UNDERSCORE,
  },
  // test_simple
  { spec: "python=2.6*", name: "python", version: "2.6*", canonical: "python=2.6" },
  { spec: "ipython=0.13.2", name: "ipython", version: "0.13.2*", canonical: "ipython=0.13.2" },
  { spec: "ipython==0.13.0", name: "ipython", version: "==0.13.0", canonical: "ipython==0.13.0" },
  {
    spec: "foo=1.3.0=3",
    name: "foo",
    version: "==1.3.0",
    build: "3",
    canonical: "foo==1.3.0=3",
  },
  // test_pip_style
  { spec: "foo>=1.3", name: "foo", version: ">=1.3", canonical: "foo[version='>=1.3']" },
  {
    spec: "zope.int>=1.3,<3.0",
    name: "zope.int",
    version: ">=1.3,<3.0",
    canonical: "zope.int[version='>=1.3,<3.0']",
  },
  { spec: "numpy >=1.9", name: "numpy", version: ">=1.9", canonical: "numpy[version='>=1.9']" },
];
