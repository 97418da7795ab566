/**
 * Conda MatchSpec parsing (name, version spec, build string, channel and subdir prefix,
 * bracket keys), following conda's `MatchSpec` grammar
 * (conda/models/match_spec.py `_parse_spec_str`, rattler `match_spec/parse.rs`), but strict where
 * conda only warns, so a mistake is reported when the definition is parsed, not after a solve.
 */

export interface MatchSpec {
  /** Package name, lower case as conda normalises it. `*` matches any name. */
  readonly name: string;
  /** Version spec text as conda would print it, e.g. `>=1.2,<2` or `3.7.*`; absent = any. */
  readonly version?: string;
  /** Build string glob, e.g. `py*` or `h7b6447c_3`. */
  readonly build?: string;
  /** `conda-forge` in `conda-forge::numpy` or `channel=` in brackets. */
  readonly channel?: string;
  /** `linux-64` in `conda-forge/linux-64::numpy` or `subdir=` in brackets. */
  readonly subdir?: string;
  /** Any other bracket keys conda accepts (`md5`, `sha256`, `url`, `license`, ...). */
  readonly extra: Readonly<Record<string, string>>;
}

/** Why a spec text is not a valid MatchSpec; `message` is fit to show a user. */
export interface MatchSpecError {
  readonly message: string;
  /** An example of what would be valid, when one can be suggested. */
  readonly example?: string;
}

export type MatchSpecResult =
  | { readonly ok: true; readonly spec: MatchSpec }
  | { readonly ok: false; readonly error: MatchSpecError };

/** Bracket keys conda understands (`numpy[version='>=1.2',build=py*]`). */
export const MATCH_SPEC_BRACKET_KEYS: readonly string[] = [
  "build",
  "build_number",
  "channel",
  "features",
  "fn",
  "license",
  "license_family",
  "md5",
  "sha256",
  "subdir",
  "track_features",
  "url",
  "version",
];

/** Conda subdirs: the last `/` segment of a channel is a subdir only when it is one of these. */
export const CONDA_SUBDIRS: ReadonlySet<string> = new Set([
  "noarch",
  "emscripten-wasm32",
  "wasi-wasm32",
  "freebsd-64",
  "linux-32",
  "linux-64",
  "linux-aarch64",
  "linux-armv6l",
  "linux-armv7l",
  "linux-ppc64",
  "linux-ppc64le",
  "linux-riscv64",
  "linux-s390x",
  "osx-64",
  "osx-arm64",
  "win-32",
  "win-64",
  "win-arm64",
  "zos-z",
]);

const OPERATORS = ["==", "!=", "<=", ">=", "~=", "<", ">", "="];
const OPERATOR_LIST = "==, !=, <, <=, >, >=, ~= or =";
/** Operators people type by mistake, and what they most likely meant. */
const OPERATOR_FIXES: Readonly<Record<string, string>> = {
  ">>": ">=",
  "=>": ">=",
  "<<": "<=",
  "=<": "<=",
  "===": "==",
  "<>": "!=",
  "=!": "!=",
  "!": "!=",
  "~": "~=",
  "=~": "~=",
};

/** Thrown inside the parser only; turned into a `MatchSpecError` at the top. */
class Invalid extends Error {
  constructor(
    message: string,
    readonly example?: string,
  ) {
    super(message);
  }
}

/** A constraint that failed, with the text that would fix it (used to build an example). */
class InvalidConstraint extends Error {
  constructor(
    readonly reason: string,
    readonly constraint: string,
    readonly fixed?: string,
  ) {
    super(reason);
  }
}

export function parseMatchSpec(text: string): MatchSpecResult {
  try {
    return { ok: true, spec: parse(text) };
  } catch (error) {
    return refused(error);
  }
}

/** A parser's refusal as a result; any other error is thrown on. */
function refused(error: unknown): { readonly ok: false; readonly error: MatchSpecError } {
  if (!(error instanceof Invalid)) throw error;
  const base = { message: error.message };
  return {
    ok: false,
    error: error.example === undefined ? base : { ...base, example: error.example },
  };
}

export type VersionSpecResult =
  | { readonly ok: true; readonly version: string | undefined }
  | { readonly ok: false; readonly error: MatchSpecError };

/**
 * A conda version spec on its own (`>=1.2,<2`, `1.7.*|1.8.*`): its normalised text, or
 * undefined for "any version".
 */
export function parseVersionSpec(text: string): VersionSpecResult {
  try {
    return { ok: true, version: checkVersion(text.trim(), "x", (fixed) => fixed) };
  } catch (error) {
    return refused(error);
  }
}

/** The package name of a spec, or undefined when the text is not a valid spec. */
export function matchSpecName(text: string): string | undefined {
  const result = parseMatchSpec(text);
  return result.ok ? result.spec.name : undefined;
}

/** The canonical text form, e.g. `conda-forge::numpy[version='>=1.2',build=py*]` when needed. */
export function formatMatchSpec(spec: MatchSpec): string {
  const prefix =
    spec.channel === undefined
      ? ""
      : `${spec.channel}${spec.subdir === undefined ? "" : `/${spec.subdir}`}::`;
  const keys: string[] = [];
  if (spec.channel === undefined && spec.subdir !== undefined) keys.push(`subdir=${spec.subdir}`);
  for (const key of Object.keys(spec.extra).sort()) {
    keys.push(`${key}=${quoteIfNeeded(spec.extra[key] ?? "")}`);
  }
  const brackets = keys.length === 0 ? "" : `[${keys.join(",")}]`;
  return `${prefix}${spec.name}${formatVersionAndBuild(spec.version, spec.build)}${brackets}`;
}

function formatVersionAndBuild(version: string | undefined, build: string | undefined): string {
  if (build !== undefined) return ` ${version ?? "*"} ${build}`;
  if (version === undefined) return "";
  // `numpy=1.2` and `numpy>=1.2` are the forms people write; anything else uses conda's
  // space form, which every conda tool reads.
  const star = /^([A-Za-z0-9_.+!-]+)\.\*$/.exec(version);
  if (star !== null) return `=${star[1] ?? ""}`;
  if (/^[<>=!~]/.test(version) && !/[|()]/.test(version)) return version;
  return ` ${version}`;
}

function quoteIfNeeded(value: string): string {
  return /^[A-Za-z0-9_.*+\-/:]+$/.test(value) ? value : `'${value.replace(/'/g, "\\'")}'`;
}

function parse(text: string): MatchSpec {
  if (/[\r\n\0]/.test(text)) {
    throw new Invalid("a match spec must be one line: it contains a line break", "numpy>=1.2");
  }
  const body = stripComment(text).trim();
  if (body === "") {
    throw new Invalid("a match spec must not be empty", "numpy>=1.2");
  }
  const { head, entries } = splitBrackets(body);
  const url = urlSpec(head);
  if (url !== undefined) return withBrackets(url, entries, body);

  const { channel, subdir, rest } = splitChannel(head);
  const { name, tail } = splitName(rest, body);
  // The channel and name as written, to build examples from.
  const written = head.slice(0, head.length - tail.length).trimEnd();
  const parsed = parseVersionAndBuild(tail, name, written);
  const spec: MatchSpec = {
    name,
    ...(parsed.version === undefined ? {} : { version: parsed.version }),
    ...(parsed.build === undefined ? {} : { build: parsed.build }),
    ...(channel === undefined ? {} : { channel }),
    ...(subdir === undefined ? {} : { subdir }),
    extra: {},
  };
  return withBrackets(spec, entries, body);
}

/** `#` starts a comment, as in conda, unless it sits inside a quoted bracket value. */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === "\\") i += 1;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#") return text.slice(0, i);
  }
  return text;
}

interface BracketEntry {
  readonly key: string;
  readonly value: string;
}

function splitBrackets(body: string): { head: string; entries: readonly BracketEntry[] } {
  const open = body.indexOf("[");
  const close = body.indexOf("]");
  if (open === -1) {
    if (close !== -1) {
      throw new Invalid(`"]" in "${body}" has no matching "["`);
    }
    return { head: body, entries: [] };
  }
  if (close !== -1 && close < open) {
    throw new Invalid(`"]" in "${body}" has no matching "["`);
  }
  const head = body.slice(0, open).trim();
  const { entries, end } = parseBracketEntries(body, open + 1);
  const after = body.slice(end + 1).trim();
  if (after !== "") {
    throw new Invalid(
      `"${after}" after "]" is not allowed: the [...] part must end the spec`,
      `${head}[${body.slice(open + 1, end)}]`,
    );
  }
  if (entries.length === 0) {
    throw new Invalid(`the brackets in "${body}" are empty`, `${head}[version='>=1.2']`);
  }
  return { head, entries };
}

/** Reads `key=value, key='quoted, value'` from `start` up to the closing `]`. */
function parseBracketEntries(
  body: string,
  start: number,
): { entries: BracketEntry[]; end: number } {
  const entries: BracketEntry[] = [];
  const unclosed = (): Invalid =>
    new Invalid(`"[" in "${body}" is not closed: add "]" at the end`, `${body.trimEnd()}]`);
  let i = start;
  const skipSpace = (): void => {
    while (i < body.length && /\s/.test(body[i] ?? "")) i += 1;
  };
  for (;;) {
    skipSpace();
    if (i >= body.length) throw unclosed();
    if (body[i] === "]" && entries.length === 0) return { entries, end: i };
    const entryStart = i;
    const keyMatch = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(body.slice(i));
    const key = keyMatch?.[0] ?? "";
    i += key.length;
    skipSpace();
    if (key === "" || body[i] !== "=") {
      const entry = body.slice(entryStart).split(/[,\]]/)[0]?.trim() ?? "";
      throw new Invalid(
        `bracket entry "${entry}" is not key=value; conda brackets take keys such as version= and build= (pip extras belong in the pip: list)`,
        "numpy[version='>=1.2',build=py*]",
      );
    }
    i += 1;
    skipSpace();
    let value = "";
    const quote = body[i];
    if (quote === "'" || quote === '"') {
      i += 1;
      while (i < body.length && body[i] !== quote) {
        if (body[i] === "\\" && i + 1 < body.length) i += 1;
        value += body[i] ?? "";
        i += 1;
      }
      if (i >= body.length) {
        throw new Invalid(`the value of "${key}" in "${body}" has no closing ${quote}`);
      }
      i += 1;
    } else {
      // conda: an unquoted value ends at ",", "]" or a space.
      while (i < body.length && !/[\s,\]]/.test(body[i] ?? "")) {
        value += body[i] ?? "";
        i += 1;
      }
    }
    entries.push({ key, value });
    const beforeSpace = i;
    skipSpace();
    if (i >= body.length) throw unclosed();
    if (body[i] === "]") return { entries, end: i };
    // conda separates entries with "," or with spaces (`numpy[version=1.10 build=py38_0]`).
    if (body[i] === ",") i += 1;
    else if (i === beforeSpace) {
      throw new Invalid(`bracket entries in "${body}" must be separated by "," or a space`);
    }
  }
}

function withBrackets(spec: MatchSpec, entries: readonly BracketEntry[], body: string): MatchSpec {
  const seen = new Set<string>();
  let result: MatchSpec = spec;
  const extra: Record<string, string> = { ...spec.extra };
  for (const { key, value } of entries) {
    if (key === "name") {
      // conda ignores a bracket name; envforge takes one that agrees and names one that does not.
      if (value !== "*" && value.toLowerCase() !== spec.name) {
        throw new Invalid(
          `bracket name "${value}" is not the package name "${spec.name}" in "${body}"`,
        );
      }
      continue;
    }
    if (!MATCH_SPEC_BRACKET_KEYS.includes(key)) {
      throw new Invalid(
        `unknown bracket key "${key}" in "${body}"; allowed keys: ${MATCH_SPEC_BRACKET_KEYS.join(", ")}`,
      );
    }
    if (seen.has(key)) throw new Invalid(`bracket key "${key}" is given twice in "${body}"`);
    seen.add(key);
    if (value === "") throw new Invalid(`bracket key "${key}" has an empty value in "${body}"`);
    result = applyBracketEntry(result, key, value, extra);
  }
  return { ...result, extra };
}

function applyBracketEntry(
  spec: MatchSpec,
  key: string,
  value: string,
  extra: Record<string, string>,
): MatchSpec {
  switch (key) {
    // conda and rattler: a value in brackets wins over the one written before them.
    case "version": {
      const version = checkVersion(value, spec.name, (fixed) => `${spec.name}[version='${fixed}']`);
      const { version: _replaced, ...rest } = spec;
      return version === undefined ? rest : { ...rest, version };
    }
    case "build": {
      const { build: _replaced, ...rest } = spec;
      return value === "*" ? rest : { ...rest, build: checkBuild(value, spec.name) };
    }
    case "channel": {
      const { channel, subdir } = splitSubdir(value);
      return { ...spec, channel, ...(subdir === undefined ? {} : { subdir }) };
    }
    case "subdir": {
      if (!CONDA_SUBDIRS.has(value)) {
        throw new Invalid(
          `subdir "${value}" is not a conda subdir (such as linux-64, osx-arm64, win-64, noarch)`,
        );
      }
      return { ...spec, subdir: value };
    }
    case "build_number":
      if (!/^(==|!=|>=|<=|>|<|=)?\d+$/.test(value)) {
        throw new Invalid(
          `build_number "${value}" is not valid: use a number, optionally after an operator`,
          `${spec.name}[build_number='>=3']`,
        );
      }
      break;
    case "md5":
      if (!/^[0-9a-fA-F]{32}$/.test(value)) {
        throw new Invalid(`md5 "${value}" is not valid: expected 32 hexadecimal digits`);
      }
      break;
    case "sha256":
      if (!/^[0-9a-fA-F]{64}$/.test(value)) {
        throw new Invalid(`sha256 "${value}" is not valid: expected 64 hexadecimal digits`);
      }
      break;
  }
  extra[key] = value;
  return spec;
}

/** `https://.../numpy-1.21.0-py39h_0.conda` or a local path to a package file. */
function urlSpec(head: string): MatchSpec | undefined {
  if (head.includes("::")) return undefined;
  const isUrl = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(head);
  const isPath = /^(\/|\.\.?\/|[A-Za-z]:[\\/])/.test(head);
  if (!isUrl && !isPath) return undefined;
  const file = head.split(/[\\/]/).pop() ?? "";
  const stem = /^(.+)-([^-]+)-([^-]+)\.(conda|tar\.bz2)$/.exec(file);
  if (stem === null) {
    throw new Invalid(
      `"${head}" is not a conda package file: expected <name>-<version>-<build>.conda or .tar.bz2`,
    );
  }
  return { name: (stem[1] ?? "").toLowerCase(), extra: { url: head } };
}

function splitChannel(head: string): { channel?: string; subdir?: string; rest: string } {
  const at = head.lastIndexOf("::");
  if (at === -1) return { rest: head };
  const written = head.slice(0, at).trim();
  const rest = head.slice(at + 2);
  if (written === "") {
    throw new Invalid(`the channel before "::" in "${head}" is empty`, `conda-forge::${rest}`);
  }
  if (/\s/.test(written)) {
    throw new Invalid(`channel "${written}" must not contain spaces`);
  }
  return { ...splitSubdir(written), rest };
}

function splitSubdir(written: string): { channel: string; subdir?: string } {
  const slash = written.lastIndexOf("/");
  const last = written.slice(slash + 1);
  if (slash > 0 && CONDA_SUBDIRS.has(last)) {
    return { channel: written.slice(0, slash), subdir: last };
  }
  return { channel: written };
}

function splitName(rest: string, body: string): { name: string; tail: string } {
  const trimmed = rest.trimStart();
  const match = /^[^\s<>=!~]+/.exec(trimmed);
  const written = match?.[0] ?? "";
  const tail = trimmed.slice(written.length);
  if (written === "") {
    throw new Invalid(`"${body}" has no package name before the version`, `numpy${tail.trim()}`);
  }
  const name = written.toLowerCase();
  if (name === "*" || /^[a-z0-9_][a-z0-9_.-]*$/.test(name)) return { name, tail };

  const bad = [...new Set(name.replace(/[a-z0-9_.-]/g, ""))].join("");
  const allowed = 'package names use only a-z, 0-9, "-", "_" and "."';
  const at = name.indexOf("@");
  if (at > 0) {
    return reject(
      `package name "${written}" contains "@"; conda pins versions with "="`,
      `${name.slice(0, at)}=${name.slice(at + 1)}`,
    );
  }
  const colon = /^([^:]+):([^:]+)$/.exec(written);
  if (colon !== null) {
    return reject(
      `package name "${written}" contains ":"; a channel is separated by "::"`,
      `${colon[1] ?? ""}::${colon[2] ?? ""}`,
    );
  }
  if (name.includes("*")) {
    return reject(`package name "${written}" is a glob; ${allowed}`);
  }
  if (/^[.-]/.test(name) && bad === "") {
    return reject(`package name "${written}" must start with a letter, a digit or "_"`);
  }
  return reject(`package name "${written}" contains "${bad}"; ${allowed}`);
}

function reject(message: string, example?: string): never {
  throw new Invalid(message, example);
}

/**
 * After the name: `>=1.2,<2`, `=1.2`, `==1.2`, `=1.2=py36_0`, or the space form
 * `1.2.* py36_0`. Spaces next to operators, `,` and `|` are allowed and dropped.
 */
function parseVersionAndBuild(
  tail: string,
  name: string,
  head: string,
): { version?: string; build?: string } {
  const compact = tail
    .trim()
    .replace(/\s*([,|()])\s*/g, "$1")
    .replace(/([<>=!~])\s+/g, "$1");
  if (compact === "") return {};
  const example = (fixed: string): string => `${head}${/^[<>=!~]/.test(fixed) ? "" : " "}${fixed}`;
  const tokens = compact.split(/\s+/);
  if (tokens.length > 2) {
    throw new Invalid(
      `"${tail.trim()}" is not "<version> <build>": there are ${tokens.length} parts separated by spaces`,
      `${name} 1.2.* py*`,
    );
  }
  let versionText = tokens[0] ?? "";
  let buildText = tokens[1];
  // conda's `name=version=build` form, also after any operator (`jaxlib>=0.4.31=cuda12*`):
  // the build follows the last single `=`.
  const equalsBuild = buildText === undefined ? splitEqualsBuild(versionText) : undefined;
  if (equalsBuild !== undefined) {
    versionText = equalsBuild.version;
    buildText = equalsBuild.build;
  }
  // rattler, which solves: `==` before a version with no build is dropped, so `==26.10.*` is
  // `26.10.*` (RAPIDS' pins) and `==1.7` stays exact (conda: `==1.7`, with the glob ignored).
  // The text as written is checked first, so a message quotes what the user wrote.
  if (buildText === undefined && versionText.startsWith("==")) {
    checkVersion(versionText, name, (fixed) => example(fixed));
    versionText = versionText.slice(2);
  }
  // conda: `python=3.7` means 3.7.* unless a build pins it (`numpy=1.11.2=py36_0` is exact).
  if (buildText !== undefined && /^=[^=,|]+$/.test(versionText) && !versionText.endsWith("*")) {
    versionText = versionText.slice(1);
  }
  const version = checkVersion(versionText, name, (fixed) =>
    example(buildText === undefined ? fixed : `${fixed} ${buildText}`),
  );
  // A build of `*` matches every build: the same as none.
  const build =
    buildText === undefined || buildText === "*" ? undefined : checkBuild(buildText, name);
  return {
    ...(version === undefined ? {} : { version }),
    ...(build === undefined ? {} : { build }),
  };
}

/**
 * conda's `_parse_version_plus_build`: a `=` not preceded by an operator, `,` or `|` separates
 * the build, which has no `-`, `=`, `,`, `|`, `<`, `>` or `~`. One scan, no backtracking.
 */
function splitEqualsBuild(text: string): { version: string; build: string } | undefined {
  const at = text.lastIndexOf("=");
  if (at <= 0 || at === text.length - 1) return undefined;
  if ("=!|,<>~".includes(text[at - 1] ?? "")) return undefined;
  const build = text.slice(at + 1);
  if (/[-=,|<>~()]/.test(build)) return undefined;
  return { version: text.slice(0, at), build };
}

function checkBuild(build: string, name: string): string {
  if (/^[A-Za-z0-9_.+*]+$/.test(build)) return build;
  throw new Invalid(
    `build string "${build}" is not valid: it may contain only letters, digits, "_", ".", "+" and "*"`,
    `${name} 1.2.* py*`,
  );
}

/** Validates and normalises a version spec; undefined means "any version" (`*`). */
function checkVersion(
  written: string,
  name: string,
  exampleFor: (fixedVersion: string) => string,
): string | undefined {
  const text = written.replace(/\s*([,|()])\s*/g, "$1").replace(/([<>=!~])\s+/g, "$1");
  try {
    const normalized = new VersionParser(text).parse();
    return normalized === "*" ? undefined : normalized;
  } catch (error) {
    if (!(error instanceof InvalidConstraint)) throw error;
    const example =
      error.fixed === undefined
        ? undefined
        : exampleFor(text.replace(error.constraint, error.fixed));
    throw new Invalid(`version spec "${written}" is not valid: ${error.reason}`, example);
  }
}

/** `or := and ("|" and)*; and := atom ("," atom)*; atom := "(" or ")" | constraint`. */
class VersionParser {
  #at = 0;
  constructor(readonly text: string) {}

  parse(): string {
    if (this.text === "") throw new InvalidConstraint("it is empty", "");
    const result = this.#or();
    const left = this.text[this.#at];
    if (left === ")") throw new InvalidConstraint(`")" has no matching "("`, this.text);
    if (left !== undefined) {
      throw new InvalidConstraint(`"${left}" may only start a group, after "," or "|"`, this.text);
    }
    return result;
  }

  #or(): string {
    const parts = [this.#and()];
    while (this.text[this.#at] === "|") {
      this.#at += 1;
      parts.push(this.#and());
    }
    return parts.join("|");
  }

  #and(): string {
    const parts = [this.#atom()];
    while (this.text[this.#at] === ",") {
      this.#at += 1;
      parts.push(this.#atom());
    }
    return parts.join(",");
  }

  #atom(): string {
    if (this.text[this.#at] === "(") {
      this.#at += 1;
      const inner = this.#or();
      if (this.text[this.#at] !== ")") {
        throw new InvalidConstraint(`"(" is not closed`, this.text, `${this.text})`);
      }
      this.#at += 1;
      return `(${inner})`;
    }
    const start = this.#at;
    while (this.#at < this.text.length && !",|()".includes(this.text[this.#at] ?? "")) {
      this.#at += 1;
    }
    const constraint = this.text.slice(start, this.#at);
    if (constraint === "") {
      throw new InvalidConstraint(
        `it has an empty part (a "," or "|" with nothing on one side)`,
        this.text,
      );
    }
    return checkConstraint(constraint);
  }
}

function checkConstraint(constraint: string): string {
  const match = /^([<>=!~]*)(.*)$/.exec(constraint);
  const op = match?.[1] ?? "";
  const version = match?.[2] ?? "";
  if (op !== "" && !OPERATORS.includes(op)) {
    const fix = OPERATOR_FIXES[op];
    throw new InvalidConstraint(
      `"${op}" is not a version operator (use ${OPERATOR_LIST})`,
      constraint,
      `${fix ?? ">="}${version === "" ? "1.0" : version}`,
    );
  }
  if (version === "") {
    if (op === "") throw new InvalidConstraint("it is empty", constraint);
    throw new InvalidConstraint(
      `operator "${op}" needs a version after it`,
      constraint,
      `${op}1.0`,
    );
  }
  // rattler reads `>=*`, `<=*`, `==*`, `~=*` and `*.*` as any version (they occur in real
  // repodata); `>*`, `<*` and `!=*` compare with nothing.
  if (/^\*(\.\*)*$/.test(version)) {
    if (["", "=", "==", ">=", "<=", "~="].includes(op)) return "*";
    throw new InvalidConstraint(`"${op}*" compares with no version`, constraint, "*");
  }
  // conda reads `1.2*` as `1.2.*`, and `1.*.*` (found in real repodata) as `1.*`; rattler also
  // drops a "." after the glob (`0.2.18.*.`).
  const base = version.replace(/(\.?\*)+\.?$/, "");
  const glob = base !== version;
  checkVersionText(base, constraint);
  if (!glob) {
    // conda: a bare version is exact; `=1.2` matches 1.2, 1.2.x, ... and prints as `1.2.*`.
    if (op === "") return `==${version}`;
    return op === "=" ? `${version}.*` : `${op}${version}`;
  }
  if (op === "" || op === "=") return `${base}.*`;
  if (op === "!=") return `!=${base}.*`;
  // After any other operator conda and rattler drop the `.*` (conda with a warning), so
  // RAPIDS' `==26.10.*` means `==26.10`. Where they differ, rattler (the solver) wins:
  // `>1.2.*` is `>=1.2` (conda: `>1.2`) and `~=1.2.*` is `~=1.2` (conda: an error).
  // The table is in docs/match-spec.md.
  if (op === ">") return `>=${base}`;
  return `${op}${base}`;
}

function checkVersionText(base: string, constraint: string): void {
  const bad = [...new Set(base.replace(/[A-Za-z0-9_.+!-]/g, ""))].join("");
  if (bad.includes("*")) {
    throw new InvalidConstraint(`"*" may only end a version, as in 1.2.*`, constraint);
  }
  if (bad !== "") {
    throw new InvalidConstraint(
      `version "${base}" contains "${bad}"; versions use letters, digits and ". _ + ! -"`,
      constraint,
    );
  }
  const epoch = /^(\d+!)?(.*)$/.exec(base);
  const rest = epoch?.[2] ?? base;
  if (rest.includes("!")) {
    throw new InvalidConstraint(
      `version "${base}" has a misplaced "!" (only an epoch such as 1!2.0 may use it)`,
      constraint,
    );
  }
  if ((rest.match(/\+/g) ?? []).length > 1) {
    throw new InvalidConstraint(`version "${base}" has more than one "+"`, constraint);
  }
  if (rest.split(/[.+_-]/).some((part) => part === "")) {
    throw new InvalidConstraint(`version "${base}" has an empty part`, constraint);
  }
}
