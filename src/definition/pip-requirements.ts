/**
 * pip requirements: `requirements.txt` files (with `-r`/`-c` includes flattened) and lists of
 * requirement lines (envforge.yaml's `pip:`, a conda file's `pip:` sub-list), checked against
 * what an image build can reproduce: no editable installs, no local paths, http(s) or VCS
 * URLs only (a VCS requirement is pinned to a commit by the lock, src/pip/lock-vcs.ts).
 * Grammar follows pip's requirements file format:
 * https://pip.pypa.io/en/stable/reference/requirements-file-format/
 */
import { createRequire } from "node:module";
import { posix } from "node:path";
import { validRange } from "@renovatebot/pep440";
import type { Requirement } from "pip-requirements-js";
import type * as PipGrammar from "pip-requirements-js";
import type { Location, Problem } from "../errors/index.js";
import { ProblemCollector, ValidationError } from "../errors/index.js";
import type { PipRequirement, PipRequirements, SourceText } from "./definition.js";
import { INPUT_LIMITS, checkTextLimits, listItemsProblem } from "./input-limits.js";
import { normalizePipName } from "./pep503.js";
import type { SimpleRequirement } from "./pep508-fast.js";
import type { VcsReference } from "./vcs-requirement.js";
import { isVcsUrl, parseVcsUrl } from "./vcs-requirement.js";
import { isPlainSpecifier, parseSimpleRequirement } from "./pep508-fast.js";

export interface ParsePipRequirementsOptions {
  /**
   * Returns an included file (`-r`/`-c`), given its POSIX path joined to the including file's
   * folder, or undefined when it cannot be read.
   */
  readonly readInclude: (path: string) => SourceText | undefined;
}

/** Where a list of requirement lines sits, for messages. */
export interface PipLinesWhere {
  /** The file the list is in. */
  readonly path: string;
  /** Line, column and key of item `index` (e.g. `dependencies[3].pip[0]`), when known. */
  readonly locate?: (index: number) => Omit<Location, "file">;
  /**
   * The definition's build context folder, relative to the file's folder as written
   * (envforge.yaml's `build.path`): a local path inside it (`-e ./ctx/pkg`) is installed from
   * the context's files; every other local path is refused.
   */
  readonly contextFolder?: string;
}

export interface PipLinesResult {
  readonly value: PipRequirements;
  readonly problems: readonly Problem[];
}

/** Parses a requirements file and the files it includes; throws one ValidationError. */
export function parsePipRequirements(
  source: SourceText,
  options: ParsePipRequirementsOptions,
): PipRequirements {
  const state = new State();
  readFile(state, source, "requirement", [posix.normalize(source.path)], options);
  state.problems.throwIfAny();
  return state.result();
}

/** Parses requirement lines (one item each, no includes); throws one ValidationError. */
export function pipRequirementsFromLines(
  lines: readonly string[],
  where: PipLinesWhere,
): PipRequirements {
  const { value, problems } = checkPipRequirementLines(lines, where);
  if (problems.length > 0) throw new ValidationError(problems);
  return value;
}

/** Like `pipRequirementsFromLines`, but returns the problems for a caller that collects more. */
export function checkPipRequirementLines(
  lines: readonly string[],
  where: PipLinesWhere,
): PipLinesResult {
  const state = new State();
  state.contextFolder = where.contextFolder;
  lines.forEach((line, index) => {
    const text = stripComment(line).trim();
    if (text === "") return;
    handleLine(state, text, { file: where.path, ...where.locate?.(index) }, "requirement", {
      include: () => "includes (-r, -c) cannot be used in a list: list the requirements instead",
    });
  });
  return { value: state.result(), problems: state.problems.problems };
}

const MASK = "****";

/**
 * Masks credentials in every URL of `text`: the password of `user:password@`, or the whole user
 * part when there is no password (a lone user part is usually a token), and conda's `/t/<token>/`
 * path tokens. For messages and logs.
 */
export function redactUrl(text: string): string {
  // The look-behinds let a scheme start only where a word starts: without them every position
  // inside a long word starts a match that scans to the word's end, quadratic in its length.
  return text
    .replace(
      /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)([^\s/?#]*)@/gi,
      (_all, scheme: string, info: string) => {
        const colon = info.indexOf(":");
        return colon === -1 ? `${scheme}${MASK}@` : `${scheme}${info.slice(0, colon)}:${MASK}@`;
      },
    )
    .replace(
      /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^\s/]+(?:\/[^\s/]+)*?\/t\/)[^\s/]+/gi,
      `$1${MASK}`,
    );
}

type Mode = "requirement" | "constraint";

class State {
  readonly problems = new ProblemCollector();
  readonly requirements: PipRequirement[] = [];
  readonly constraints: PipRequirement[] = [];
  indexUrl: { readonly url: string; readonly where: string } | undefined;
  readonly extraIndexUrls: string[] = [];
  readonly findLinks: string[] = [];
  readonly warnings: Problem[] = [];
  pre = false;
  /** Local paths inside this folder are accepted (PipLinesWhere.contextFolder). */
  contextFolder: string | undefined;
  /** Logical lines read so far, over every file (bounded by INPUT_LIMITS.listItems). */
  lines = 0;
  /** Files already read per mode, so a file included twice (a diamond) is read once. */
  readonly seen = new Set<string>();

  result(): PipRequirements {
    return {
      requirements: this.requirements,
      constraints: this.constraints,
      ...(this.indexUrl === undefined ? {} : { indexUrl: this.indexUrl.url }),
      extraIndexUrls: this.extraIndexUrls,
      findLinks: this.findLinks,
      pre: this.pre,
      ...(this.warnings.length === 0 ? {} : { warnings: this.warnings }),
    };
  }
}

interface LineHooks {
  /** Handles `-r`/`-c`; returns a message when includes are not allowed here. */
  readonly include: (kind: Mode, path: string, where: Location) => string | undefined;
}

function readFile(
  state: State,
  source: SourceText,
  mode: Mode,
  stack: readonly string[],
  options: ParsePipRequirementsOptions,
): void {
  state.seen.add(`${mode}:${stack[stack.length - 1] ?? source.path}`);
  checkTextLimits(source);
  const lines = logicalLines(source.text);
  state.lines += lines.length;
  if (state.lines > INPUT_LIMITS.listItems) {
    // Counted before any line is parsed: a file of a million lines costs one split, not a parse.
    state.problems.add(listItemsProblem(source.path, "", state.lines));
    return;
  }
  for (const { line, text } of lines) {
    handleLine(state, text, { file: source.path, line }, mode, {
      include: (kind, includePath, where) => {
        const path = joinInclude(source.path, includePath);
        // pip: a file included from a constraints file holds constraints too.
        const nestedMode: Mode = mode === "constraint" ? "constraint" : kind;
        if (stack.includes(path)) {
          state.problems.add({
            ...where,
            message: `include cycle: ${[...stack, path].join(" -> ")}`,
            allowed: "each file included once along a chain",
          });
          return undefined;
        }
        if (state.seen.has(`${nestedMode}:${path}`)) return undefined;
        const included = options.readInclude(path);
        if (included === undefined) {
          state.problems.add({
            ...where,
            message: `cannot read included file ${JSON.stringify(path)}`,
            found: JSON.stringify(includePath),
          });
          return undefined;
        }
        readFile(state, included, nestedMode, [...stack, path], options);
        return undefined;
      },
    });
  }
}

function joinInclude(from: string, include: string): string {
  return posix.isAbsolute(include)
    ? posix.normalize(include)
    : posix.normalize(posix.join(posix.dirname(from), include));
}

// pip's COMMENT_RE: `#` at the start of a line or after whitespace.
const COMMENT = /(^|\s+)#.*$/;

function stripComment(line: string): string {
  return line.replace(COMMENT, "");
}

/**
 * pip's join_lines + comment stripping: a line ending in `\` continues on the next (joined
 * without a space, as pip does); a comment line ends a continuation. Numbered by first line.
 */
function logicalLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let pending: string[] = [];
  let first = 0;
  // Editors on Windows often save a byte order mark; pip decodes it away too.
  text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const isComment = /^\s*#/.test(raw);
      if (raw.endsWith("\\") && !isComment) {
        if (pending.length === 0) first = index + 1;
        pending.push(raw.slice(0, -1));
        return;
      }
      const joined = pending.length > 0 ? [...pending, isComment ? "" : raw].join("") : raw;
      const line = pending.length > 0 ? first : index + 1;
      pending = [];
      const content = stripComment(joined).trim();
      if (content !== "") out.push({ line, text: content });
    });
  if (pending.length > 0) {
    const content = stripComment(pending.join("")).trim();
    if (content !== "") out.push({ line: first, text: content });
  }
  return out;
}

const EXAMPLE_INDEX = '"https://packages.example/simple"';
const ALLOWED_OPTIONS =
  "-r/--requirement, -c/--constraint, -i/--index-url, --extra-index-url, -f/--find-links, --pre, and --hash after a requirement";
const LOCAL_PATH =
  "local paths cannot be used: the image build cannot see your disk; publish the package to an index or put it in a build context";
const EDITABLE = "editable installs are not reproducible in an image";
const ALLOWED_REQUIREMENT = 'a PEP 508 requirement such as "numpy>=1.2" or a pip option';

/** pip options envforge knows but cannot honour in an image build. */
const UNSUPPORTED_OPTIONS = new Set([
  "--no-index",
  "--trusted-host",
  "--no-binary",
  "--only-binary",
  "--prefer-binary",
  "--require-hashes",
  "--use-feature",
  "--config-settings",
  "-C",
  "--global-option",
  "--install-option",
]);

type OptionName =
  | "requirement"
  | "constraint"
  | "index-url"
  | "extra-index-url"
  | "find-links"
  | "pre"
  | "editable"
  | "hash";

const OPTIONS: Readonly<Record<string, OptionName>> = {
  "-r": "requirement",
  "--requirement": "requirement",
  "-c": "constraint",
  "--constraint": "constraint",
  "-i": "index-url",
  "--index-url": "index-url",
  "--extra-index-url": "extra-index-url",
  "-f": "find-links",
  "--find-links": "find-links",
  "--pre": "pre",
  "-e": "editable",
  "--editable": "editable",
  "--hash": "hash",
};

interface OptionToken {
  readonly written: string;
  readonly name: string;
  readonly value?: string;
}

/** Splits an options string the way pip's shlex does, then pairs options with their values. */
function readOptions(text: string): { options: OptionToken[]; stray: string[] } {
  const tokens = shellWords(text);
  const options: OptionToken[] = [];
  const stray: string[] = [];
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index] ?? "";
    if (!token.startsWith("-")) {
      stray.push(token);
      continue;
    }
    const long = token.startsWith("--");
    const split = long ? token.indexOf("=") : token.length > 2 ? 2 : -1;
    const name = split === -1 ? token : token.slice(0, split);
    let value = split === -1 ? undefined : token.slice(long ? split + 1 : split);
    // An unknown option may take a value too: take the next word so it is not reported twice.
    if (value === undefined && OPTIONS[name] !== "pre") {
      const next = tokens[index + 1];
      if (next !== undefined && !next.startsWith("-")) {
        value = next;
        index += 1;
      }
    }
    options.push({ written: token, name, ...(value === undefined ? {} : { value }) });
  }
  return { options, stray };
}

function shellWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    words.push(match[1] ?? match[2] ?? match[3] ?? "");
  }
  return words;
}

function handleLine(
  state: State,
  text: string,
  where: Location,
  mode: Mode,
  hooks: LineHooks,
): void {
  if (text.startsWith("-")) {
    handleOptionLine(state, text, where, hooks);
    return;
  }
  // pip's break_args_options: the requirement ends at the first token starting with `-`.
  const tokens = text.split(" ");
  const firstOption = tokens.findIndex((token) => token.startsWith("-"));
  const requirementText = (firstOption === -1 ? tokens : tokens.slice(0, firstOption))
    .join(" ")
    .trim();
  const optionText = firstOption === -1 ? "" : tokens.slice(firstOption).join(" ");
  const hashes: string[] = [];
  const { options, stray } = readOptions(optionText);
  for (const word of stray) {
    state.problems.add({
      ...where,
      message: "unexpected text after the requirement's options",
      found: quote(word),
      allowed: "--hash=<algorithm>:<hex> after a requirement",
    });
  }
  for (const option of options) {
    if (OPTIONS[option.name] !== "hash") {
      state.problems.add({
        ...where,
        message: `only --hash can follow a requirement; put ${option.name} on its own line`,
        found: quote(option.written),
        allowed: "--hash=<algorithm>:<hex>",
      });
      continue;
    }
    const hash = checkHash(option.value, where, state.problems);
    if (hash !== undefined) hashes.push(hash);
  }
  const localHead = requirementText.split(/[\s;]/, 1)[0] ?? "";
  if (
    state.contextFolder !== undefined &&
    (isLocalPath(requirementText) ||
      (!requirementText.includes("@") &&
        !/^[a-z][a-z0-9+.-]*:/i.test(localHead) &&
        /[\\/]/.test(localHead)))
  ) {
    if (checkLocalRequirement(state, requirementText, where, mode, false) && hashes.length > 0) {
      state.problems.add({
        ...where,
        message: "a folder of the build context is built from its files and has no --hash",
        found: quote(text),
        allowed: requirementText,
      });
    }
    return;
  }
  const vcs = checkVcsRequirement(requirementText, where, mode, state.problems);
  if (vcs === "refused") return;
  const parsed = vcs?.name ?? checkRequirement(requirementText, where, mode, state.problems);
  if (parsed === undefined) return;
  const requirement: PipRequirement = {
    name: parsed,
    requirement: requirementText,
    hashes,
    ...(vcs === undefined ? {} : { vcs: vcs.reference }),
  };
  (mode === "constraint" ? state.constraints : state.requirements).push(requirement);
}

/**
 * A VCS requirement, bare (`git+https://…#egg=name`) or direct (`name @ git+https://…`), with an
 * optional marker: undefined when the text is not one, "refused" after a problem.
 */
function checkVcsRequirement(
  text: string,
  where: Location,
  mode: Mode,
  problems: ProblemCollector,
): { readonly name: string; readonly reference: VcsReference } | "refused" | undefined {
  const direct = /^([^@\s]+?)\s*@\s*(\S+)(?:\s*;(.*))?$/.exec(text);
  const bare = /^(\S+)(?:\s*;(.*))?$/.exec(text);
  const url = direct !== null && isVcsUrl(direct[2] ?? "") ? direct[2] : bare?.[1];
  if (url === undefined || !isVcsUrl(url)) return undefined;
  const fail = (message: string): "refused" => {
    problems.add({
      ...where,
      message,
      found: quote(text),
      allowed:
        '"name @ git+https://host/repo.git@<tag or commit>" or git+https://host/repo.git#egg=name',
    });
    return "refused";
  };
  if (mode === "constraint") return fail("a constraint cannot be a VCS URL");
  const declared = direct !== null && url === direct[2] ? direct[1] : undefined;
  if (
    declared !== undefined &&
    !/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\[[^\]]*\])?$/.test(declared)
  ) {
    return fail(`${JSON.stringify(declared)} is not a project name`);
  }
  const marker = direct !== null && url === direct[2] ? direct[3] : bare?.[2];
  if (marker !== undefined && syntaxError(`placeholder ; ${marker}`, true) !== undefined) {
    return fail(`not a valid environment marker: ${JSON.stringify(marker.trim())}`);
  }
  const parsed = parseVcsUrl(url, declared?.replace(/\[.*$/, ""));
  if (!parsed.ok) return fail(parsed.message);
  return { name: parsed.name, reference: parsed.reference };
}

function handleOptionLine(state: State, text: string, where: Location, hooks: LineHooks): void {
  const { options, stray } = readOptions(text);
  for (const word of stray) {
    state.problems.add({
      ...where,
      message: "unexpected text after an option",
      found: quote(word),
      allowed: "one value per option",
    });
  }
  for (const option of options) {
    const kind = OPTIONS[option.name];
    const problem = (fields: Omit<Problem, keyof Location>): void =>
      state.problems.add({ ...where, ...fields });
    if (kind === undefined) {
      problem({
        message: UNSUPPORTED_OPTIONS.has(option.name)
          ? `pip option ${option.name} is not supported by envforge`
          : `unknown pip option ${option.name}`,
        found: quote(option.written),
        allowed: ALLOWED_OPTIONS,
      });
      continue;
    }
    if (kind === "editable" && option.value !== undefined && isVcsUrl(option.value)) {
      // pip: `-e git+…` clones a working copy to edit; an image has none, so it is installed
      // like the same URL without -e.
      const before = state.problems.problems.length;
      handleLine(state, option.value, where, "requirement", hooks);
      if (state.problems.problems.length === before) {
        state.warnings.push({
          ...where,
          message:
            "-e (editable) is ignored for a VCS URL: an image has no working copy to edit, so it is installed at the locked commit",
          found: quote(text),
        });
      }
      continue;
    }
    if (kind === "editable" && option.value !== undefined && state.contextFolder !== undefined) {
      if (checkLocalRequirement(state, option.value, where, "requirement", true)) {
        state.warnings.push({
          ...where,
          message:
            "-e (editable) is ignored for a folder of the build context: an image has no working copy to edit, so it is installed from the context's files",
          found: quote(text),
        });
      }
      continue;
    }
    if (kind === "editable") {
      problem({
        message: EDITABLE,
        found: quote(text),
        allowed: 'a requirement from an index, e.g. "mypkg==1.0"',
      });
      continue;
    }
    if (kind === "pre") {
      if (option.value !== undefined) {
        problem({
          message: "--pre takes no value",
          found: quote(option.written),
          allowed: "--pre",
        });
      }
      state.pre = true;
      continue;
    }
    if (kind === "hash") {
      problem({
        message: "--hash belongs after a requirement on the same line",
        found: quote(option.written),
        allowed: 'e.g. "numpy==1.26.4 --hash=sha256:<64 hex>"',
      });
      continue;
    }
    if (option.value === undefined || option.value === "") {
      problem({ message: `${option.name} needs a value`, found: quote(text) });
      continue;
    }
    const value = option.value;
    switch (kind) {
      case "requirement":
      case "constraint": {
        if (/^[a-z][a-z0-9+.-]*:/i.test(value)) {
          problem({
            message: "an included file must be a path relative to this file, not a URL",
            found: quote(value),
            allowed: 'a relative path such as "requirements-base.txt"',
          });
          break;
        }
        const refused = hooks.include(kind, value, where);
        if (refused !== undefined) problem({ message: refused, found: quote(text) });
        break;
      }
      case "index-url": {
        if (!checkIndexUrl(value, where, state.problems)) break;
        const previous = state.indexUrl;
        if (previous === undefined) {
          state.indexUrl = { url: value, where: locationText(where) };
        } else if (previous.url !== value) {
          problem({
            message: `a second --index-url conflicts with the first (${quote(previous.url)} at ${previous.where})`,
            found: quote(value),
            allowed: "one --index-url; add more indexes with --extra-index-url",
          });
        }
        break;
      }
      case "extra-index-url":
        if (checkIndexUrl(value, where, state.problems) && !state.extraIndexUrls.includes(value)) {
          state.extraIndexUrls.push(value);
        }
        break;
      case "find-links":
        if (checkIndexUrl(value, where, state.problems) && !state.findLinks.includes(value)) {
          state.findLinks.push(value);
        }
        break;
    }
  }
}

/**
 * A local folder requirement when the definition has a build context: accepted (and recorded)
 * when it lies inside the context, refused with today's reason otherwise. True when accepted.
 */
function checkLocalRequirement(
  state: State,
  text: string,
  where: Location,
  mode: Mode,
  editable: boolean,
): boolean {
  const context = posix.normalize(state.contextFolder ?? ".").replace(/\/+$/, "") || ".";
  const path = posix.normalize(text.replace(/\\/g, "/")).replace(/\/+$/, "") || ".";
  const relative = context === "." ? path : posix.relative(context, path);
  const inside =
    mode === "requirement" &&
    !posix.isAbsolute(path) &&
    !/^(file:|~)/i.test(text) &&
    !posix.isAbsolute(context) &&
    relative !== ".." &&
    !relative.startsWith("../") &&
    !posix.isAbsolute(relative);
  if (!inside) {
    state.problems.add({
      ...where,
      message: `${editable ? EDITABLE : LOCAL_PATH}; only a folder inside the build context ${JSON.stringify(state.contextFolder)} can be installed`,
      found: quote(text),
      allowed: `a folder inside ${JSON.stringify(state.contextFolder)}, e.g. "${posix.join(context, "mypkg")}"`,
    });
    return false;
  }
  const folder = relative === "." ? "" : relative;
  const base = posix.basename(folder === "" ? context : folder);
  state.requirements.push({
    name: normalizePipName(/^[A-Za-z0-9]/.test(base) ? base : "local"),
    requirement: editable ? `-e ${text}` : text,
    hashes: [],
    local: { path: folder, editable },
  });
  return true;
}

function locationText(where: Location): string {
  return [where.file, where.line].filter((part) => part !== undefined).join(":");
}

/** Quotes a value for a message with any URL credentials masked. */
function quote(text: string): string {
  return JSON.stringify(redactUrl(text));
}

function isLocalPath(text: string): boolean {
  return /^(file:|\.|\/|~|\\|[a-z]:[\\/])/i.test(text);
}

function checkIndexUrl(value: string, where: Location, problems: ProblemCollector): boolean {
  if (isLocalPath(value)) {
    problems.add({
      ...where,
      message: LOCAL_PATH,
      found: quote(value),
      allowed: `an http(s) URL such as ${EXAMPLE_INDEX}`,
    });
    return false;
  }
  if (!isHttpUrl(value)) {
    problems.add({
      ...where,
      message: "not an http(s) URL",
      found: quote(value),
      allowed: `an http(s) URL such as ${EXAMPLE_INDEX}`,
    });
    return false;
  }
  return true;
}

function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

const HASH_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

function checkHash(
  value: string | undefined,
  where: Location,
  problems: ProblemCollector,
): string | undefined {
  const [algorithm = "", hex = ""] = (value ?? "").split(":", 2);
  const length = HASH_LENGTHS[algorithm.toLowerCase()];
  if (length === undefined) {
    problems.add({
      ...where,
      message:
        value === undefined
          ? "--hash needs a value"
          : `unsupported hash algorithm ${JSON.stringify(algorithm)}`,
      found: JSON.stringify(value ?? "--hash"),
      allowed: "sha256, sha384 or sha512, written as --hash=sha256:<hex>",
    });
    return undefined;
  }
  if (!new RegExp(`^[0-9a-f]{${length}}$`, "i").test(hex)) {
    problems.add({
      ...where,
      message: `not a valid ${algorithm.toLowerCase()} hash`,
      found: JSON.stringify(value),
      allowed: `${length} hexadecimal digits`,
    });
    return undefined;
  }
  return `${algorithm.toLowerCase()}:${hex.toLowerCase()}`;
}

const ARCHIVE = /\.(whl|zip|tar\.gz|tgz|tar\.bz2|tar\.xz|tar)$/i;

/** Checks one PEP 508 requirement; returns its normalised name, or undefined after a problem. */
function checkRequirement(
  text: string,
  where: Location,
  mode: Mode,
  problems: ProblemCollector,
): string | undefined {
  const fail = (message: string, allowed = ALLOWED_REQUIREMENT): undefined => {
    problems.add({ ...where, message, found: quote(text), allowed });
    return undefined;
  };
  if (text.length > INPUT_LIMITS.requirementLength) {
    return fail(
      `the requirement is longer than ${INPUT_LIMITS.requirementLength} characters (${text.length})`,
      `at most ${INPUT_LIMITS.requirementLength} characters per requirement; docs/limits.md`,
    );
  }
  // The grammar is slow (see pep508-fast.ts): after a few problems, lines it alone can read are
  // reported without its detail, so a file of bad lines costs no more than a file of good ones.
  const grammar = problems.problems.length < GRAMMAR_PROBLEMS;
  const head = text.split(/[\s;]/, 1)[0] ?? "";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(head)) {
    if (/^file:/i.test(head)) return fail(LOCAL_PATH);
    return fail(
      'a URL needs a project name: write "name @ <url>"',
      '"name @ https://host/path/name-1.0-py3-none-any.whl"',
    );
  }
  // packaging's test vectors: rules its grammar has and the grammar used here does not.
  if (/@\s*$/.test(text)) return fail('nothing follows "@": give the URL after it');
  const markerAt = text.indexOf(";");
  if (markerAt !== -1 && /['"]\s*(?:not\s+)?in[A-Za-z0-9_.]/.test(text.slice(markerAt))) {
    return fail('not a valid environment marker: "in" must be a word of its own');
  }
  if (!text.includes("@") && (isLocalPath(head) || /[\\/]/.test(head) || ARCHIVE.test(head))) {
    return fail(LOCAL_PATH);
  }
  const direct = /^([^@]+?)\s*@\s*(\S+)(?:\s+;(.*))?$/.exec(text);
  let syntaxText = text;
  if (direct !== null) {
    const [, name = "", url = "", marker] = direct;
    if (/^file:/i.test(url) || isLocalPath(url)) return fail(LOCAL_PATH);
    if (!isHttpUrl(url)) {
      return fail(
        "only http(s) URLs can be used in a direct reference",
        '"name @ https://host/path/name-1.0-py3-none-any.whl"',
      );
    }
    // pip-requirements-js does not take a marker after a URL: check the two halves apart.
    if (marker !== undefined) {
      if (syntaxError(modernMarkers(`placeholder ; ${marker}`), grammar) !== undefined) {
        return fail(`not a valid environment marker: ${JSON.stringify(marker.trim())}`);
      }
    }
    syntaxText = `${name} @ ${url}`;
  }
  // pip-requirements-js takes `#` anywhere as a comment; pip only after whitespace (stripped
  // already), so a `#` left here is part of an invalid name.
  if (direct === null && text.includes("#")) {
    return fail(
      'not a valid requirement: "#" starts a comment only at the start of a line or after a space',
    );
  }
  // pip-requirements-js lacks PEP 440 arbitrary equality (`===`); check the rest of the grammar.
  const parsed = parseLine(modernMarkers(syntaxText).replace(/===/g, "=="), grammar);
  if (typeof parsed === "string") return fail(`not a valid requirement: ${parsed}`);
  if (parsed === null || (parsed.type !== "ProjectName" && parsed.type !== "ProjectURL")) {
    return fail("not a valid requirement");
  }
  if (parsed.type === "ProjectName") {
    for (const spec of parsed.versionSpec ?? []) {
      const written = `${spec.operator}${spec.version}`;
      if (!syntaxText.includes("===") && !isPlainSpecifier(spec) && !validRange(written)) {
        return fail(`${JSON.stringify(written)} is not a valid PEP 440 version specifier`);
      }
      // PEP 440: a prefix match (`.*`) cannot follow a post, dev or local release.
      if (spec.version.endsWith(".*") && /(post|dev|\+)/i.test(spec.version)) {
        return fail(
          `${JSON.stringify(written)} is not a valid PEP 440 version specifier: ".*" cannot follow a post, dev or local release`,
        );
      }
    }
  }
  if (mode === "constraint" && (parsed.extras?.length ?? 0) > 0) {
    return fail("a constraint cannot have extras", 'a name and versions only, e.g. "numpy<2"');
  }
  return normalizePipName(parsed.name);
}

/**
 * packaging and pip still read PEP 345's marker names (`os.name`, `platform.version`,
 * `python_implementation`); the grammar here knows only PEP 508's, so they are renamed for the
 * check (the requirement is kept as written).
 */
function modernMarkers(text: string): string {
  const at = text.indexOf(";");
  if (at === -1) return text;
  const marker = text
    .slice(at)
    .replace(/(?<![\w.])os\.name\b/g, "os_name")
    .replace(/(?<![\w.])sys\.platform\b/g, "sys_platform")
    .replace(/(?<![\w.])platform\.(version|machine|python_implementation)\b/g, "platform_$1")
    .replace(/(?<![\w.])python_implementation\b/g, "platform_python_implementation");
  return `${text.slice(0, at)}${marker}`;
}

type ParsedLine = Requirement | SimpleRequirement | null;

let loadedGrammar: typeof PipGrammar | undefined;

/**
 * pip-requirements-js builds its grammar as it loads, which costs every command that reads a
 * definition (`envforge hash`) tens of milliseconds: it loads with the first line the fast
 * reader leaves to it.
 */
function pipGrammar(): typeof PipGrammar {
  loadedGrammar ??= createRequire(import.meta.url)("pip-requirements-js") as typeof PipGrammar;
  return loadedGrammar;
}

/** Problems after which the grammar is no longer asked for its message. */
const GRAMMAR_PROBLEMS = 20;

function parseLine(text: string, grammar: boolean): ParsedLine | string {
  const simple = parseSimpleRequirement(text);
  if (simple !== undefined) return simple;
  if (!grammar) return `not read in detail after ${GRAMMAR_PROBLEMS} problems`;
  const { parsePipRequirementsLine, RequirementsSyntaxError } = pipGrammar();
  try {
    return parsePipRequirementsLine(text);
  } catch (error) {
    if (error instanceof RequirementsSyntaxError) return tidySyntaxMessage(error.message);
    throw error;
  }
}

function syntaxError(text: string, grammar: boolean): string | undefined {
  const parsed = parseLine(text, grammar);
  return typeof parsed === "string" ? parsed : undefined;
}

/** "Failed to parse requirements line. Line 1, col 7: expected X" → "at column 7: expected X" */
function tidySyntaxMessage(message: string): string {
  const match = /col (\d+): (.*)$/s.exec(message);
  return match === null ? message : `at column ${match[1]}: ${match[2]}`;
}
