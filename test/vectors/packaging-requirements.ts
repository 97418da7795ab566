/**
 * packaging's own PEP 508 requirement test vectors, transcribed as data.
 *
 * Source: pypa/packaging, tests/test_requirements.py (test_basic_valid_requirement_parsing's
 * names, extras, specifiers, URLs and markers; test_normalized_requirements; TestRequirementParsing
 * test_valid_marker, test_file_url, test_trailing_horizontal_whitespace, test_empty_extras,
 * test_empty_specifier and every test_error_*), commit 053c884615f2e83d80705251b447769ec2599653.
 * Licence: Apache-2.0 or BSD-2-Clause (dual).
 *
 * `refused` marks a requirement PEP 508 allows but an image build cannot reproduce (a local
 * file, a URL pip cannot fetch): envforge refuses it on purpose, with the reason given.
 */
export const PACKAGING_REQUIREMENTS_SOURCE =
  "pypa/packaging tests/test_requirements.py @ 053c884615f2e83d80705251b447769ec2599653";

export interface RequirementVector {
  readonly requirement: string;
  /** The PEP 503 name envforge reads. */
  readonly name: string;
  readonly refused?: string;
}

const NAMES: readonly (readonly [string, string])[] = [
  ["package", "package"],
  ["pAcKaGe", "package"],
  ["Package", "package"],
  ["foo-bar.quux_bAz", "foo-bar-quux-baz"],
  ["installer", "installer"],
  ["android12", "android12"],
];
const EXTRAS = ["", "[a]", "[a,b]", "[a, B, CDEF123]", "[\ta,\tb]"];
const SPECIFIERS = [
  "",
  "===arbitrarystring",
  "(===arbitrarystring)",
  "==1.0",
  "( == 1.0 )",
  "==1.0-alpha",
  "<=1!3.0.0.rc2",
  ">2.2,<3",
  "( > 2.2 , < 3 )",
  "==\t1.0",
];
const MARKERS = [
  "",
  ";python_version>='3.3'",
  '; ( python_version >= "3.4" ) and extra == "oursql"',
  "; sys_platform != 'linux' and(os_name == 'linux' or python_version >= '3.3' )",
];

/** Names × extras × specifiers × markers, as the source's parametrize builds them. */
export const PACKAGING_VALID: readonly RequirementVector[] = [
  ...NAMES.flatMap(([name, normalized]) =>
    EXTRAS.flatMap((extras) =>
      SPECIFIERS.flatMap((specifier) =>
        MARKERS.map((marker) => ({
          requirement: `${name}${extras}${specifier}${marker}`,
          name: normalized,
        })),
      ),
    ),
  ),
  // URL forms of the same parametrize
  ...[
    "https://example.com/packagename.zip",
    "https://example.com/name;v=1.1/?query=foo&bar=baz#blah",
    "git+ssh://git.example.com/MyProject",
    "git+https://git.example.com/MyProject.git@master",
    "git+https://git.example.com/MyProject.git@v1.0",
    "git+https://git.example.com/MyProject.git@refs/pull/123/head",
  ].flatMap((url) =>
    ["", " ; python_version >= '3.3'"].map((marker) => ({
      requirement: `package[a] @ ${url}${marker}`,
      name: "package",
    })),
  ),
  {
    requirement: "package @ ssh://user:pass%20word@example.com/packagename.zip",
    name: "package",
    refused: "pip fetches a direct archive over http(s) only",
  },
  {
    requirement: "package @ git+ssh://git@github.com:pypa/packaging.git",
    name: "package",
    refused: "an scp-style git address is not a URL pip can clone (pip reads git+ssh://host/path)",
  },
  {
    requirement: "package @ gopher:/foo/com",
    name: "package",
    refused: "pip cannot fetch a gopher: URL",
  },
  // test_normalized_requirements
  { requirement: 'mariadb>=1.0.1; extra == "mariadb_connector"', name: "mariadb" },
  {
    requirement: 'mariadb>=1.0.1; python_version >= "3" and extra == "mariadb_connector"',
    name: "mariadb",
  },
  // test_requirement_marker_with_embedded_double_quote_round_trips
  {
    requirement: 'demo; \'a" == os_name or python_version >= "0" or "b\' == os_name',
    name: "demo",
  },
  // test_valid_marker
  ...[
    "python_implementation == ''",
    "platform_python_implementation == ''",
    "os.name == 'linux'",
    "os_name == 'linux'",
    "'8' in platform.version",
    "'8' not in platform.version",
  ].map((marker) => ({ requirement: `name; ${marker}`, name: "name" })),
  // test_file_url
  ...["file:///absolute/path", "file://.", "file:.", "file:/."].map((url) => ({
    requirement: `name @ ${url}`,
    name: "name",
    refused: "a local file: the image build cannot see your disk",
  })),
  // test_trailing_horizontal_whitespace, test_empty_extras, test_empty_specifier
  { requirement: "name>=1 ", name: "name" },
  { requirement: "name>=1\t", name: "name" },
  { requirement: "name[]", name: "name" },
  { requirement: "name()", name: "name" },
];

/**
 * Refused by packaging as a PEP 508 string, but read by pip in a requirements file, where " #"
 * starts a comment: `name >= 1.0`.
 */
export const PACKAGING_INVALID_BUT_A_COMMENT_IN_A_FILE: readonly string[] = ["name >= 1.0 #"];

/** Every requirement the source's test_error_* cases refuse. */
export const PACKAGING_INVALID: readonly string[] = [
  "demo===x,y",
  "",
  "==0.0",
  "name[bar baz]",
  "name[bar, baz,]",
  "name (>= 1.0",
  "black (>=20.*) ; extra == 'format'",
  "name >= 1.2.3.post4.*",
  "name <= 1.2.3.post4.*",
  "name==1.2.3.post4.*",
  "name >= 1.0+local.version.label",
  "name <= 1.0+local.version.label",
  "name > 1.0+local.version.label",
  "name < 1.0+local.version.label",
  "name ~= 1.0+local.version.label",
  "name[bar, baz >= 1.0",
  "name[bar, baz",
  "name @ https://example.com/; extra == 'example'",
  "name; (extra == 'example'",
  "name @ ",
  "name; invalid_name",
  "name; '3.7' <= invalid_name",
  'name; os_name == "C:\\"',
  'name; os_name == "\\x"',
  "name; '3.7' notin python_version",
  "name; '3.6'inpython_version",
  "name; '3.7' not python_version",
  "name; '3.7' ~ python_version",
  "name==1.0.org1",
  "name==",
  "name 1.0",
  "name >= 1.0 <= 2.0",
];
