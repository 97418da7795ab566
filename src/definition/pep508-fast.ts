/**
 * A linear reader for the PEP 508 requirements people write (`name[extras] op version, ...`,
 * `name @ https://...`, each with an optional `; marker`). pip-requirements-js, an ohm grammar,
 * costs about a millisecond per line with a marker and grows faster than linearly with a line's
 * length; a request of a thousand such lines held the server for seconds. This reader accepts a
 * strict subset of what the grammar accepts and returns the same fields; anything else (and
 * every invalid line, for the grammar's message) is left to the grammar.
 * https://peps.python.org/pep-0508/#complete-grammar
 */

/** The fields of pip-requirements-js's result that envforge reads. */
export type SimpleRequirement =
  | {
      readonly type: "ProjectName";
      readonly name: string;
      readonly extras?: readonly string[];
      readonly versionSpec?: readonly { readonly operator: string; readonly version: string }[];
    }
  | {
      readonly type: "ProjectURL";
      readonly name: string;
      readonly extras?: readonly string[];
      readonly url: string;
    };

const NAME = "[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?";
const SPACE = "[ \\t]*";
const OPERATOR = "(?:~=|==|!=|<=|>=|<|>)";
const VERSION = "[A-Za-z0-9.*+!_-]+";
const ONE_SPEC = `${OPERATOR}${SPACE}${VERSION}`;
const HEAD = new RegExp(
  `^(${NAME})${SPACE}(?:\\[${SPACE}([A-Za-z0-9._, \\t-]*?)${SPACE}\\])?${SPACE}` +
    `(?:(${ONE_SPEC}(?:${SPACE},${SPACE}${ONE_SPEC})*)|@${SPACE}(\\S+))?${SPACE}$`,
);
const EXTRA = new RegExp(`^${NAME}$`);
const SPEC = new RegExp(`^(${OPERATOR})${SPACE}(${VERSION})$`);
/**
 * An http(s) URL whose host starts with a letter (the grammar tries an IPv4 address first and
 * does not back out of a partial one) and whose characters are all RFC 3986 ones.
 */
const URL =
  /^https?:\/\/[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*(?::[0-9]+)?(?:\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f])*)*(?:\?(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f])*)?(?:#(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f])*)?$/;

/** The requirement read without the grammar, or undefined to let the grammar decide. */
export function parseSimpleRequirement(text: string): SimpleRequirement | undefined {
  const semicolon = text.indexOf(";");
  const head = semicolon === -1 ? text : text.slice(0, semicolon);
  if (semicolon !== -1 && !isSimpleMarker(text.slice(semicolon + 1))) return undefined;
  const match = HEAD.exec(head);
  if (match === null) return undefined;
  const [, name = "", extrasText, specText, url] = match;
  const extras =
    extrasText === undefined || extrasText.trim() === ""
      ? []
      : extrasText.split(",").map((extra) => extra.trim());
  if (!extras.every((extra) => EXTRA.test(extra))) return undefined;
  const extrasField = extrasText === undefined ? {} : { extras };
  if (url !== undefined) {
    // pip-requirements-js takes no marker after a URL; the caller checks the two halves apart.
    if (!URL.test(url) || semicolon !== -1) return undefined;
    return { type: "ProjectURL", name, ...extrasField, url };
  }
  const versionSpec: { operator: string; version: string }[] = [];
  for (const part of (specText ?? "").split(",")) {
    if (part.trim() === "") continue;
    const [, operator = "", version = ""] = SPEC.exec(part.trim()) ?? [];
    versionSpec.push({ operator, version });
  }
  return {
    type: "ProjectName",
    name,
    ...extrasField,
    ...(specText === undefined ? {} : { versionSpec }),
  };
}

const MARKER_VARIABLES = new Set([
  "python_version",
  "python_full_version",
  "os_name",
  "sys_platform",
  "platform_release",
  "platform_system",
  "platform_version",
  "platform_machine",
  "platform_python_implementation",
  "implementation_name",
  "implementation_version",
  "extra",
]);

/** Tokens of a marker: parentheses, comparisons, words, quoted strings (a subset of the grammar). */
const STRING_CHAR = "A-Za-z0-9 \\t(){}.\\-_*#:;,/?\\[\\]!~`@$%^&=+|<>";
const MARKER_TOKEN = new RegExp(
  `[ \\t]*(?:([()])|(<=|<|!=|==|>=|>|~=)|([a-z_]+)|'[${STRING_CHAR}"]*'|"[${STRING_CHAR}']*")`,
  "y",
);

interface Token {
  readonly kind: "paren" | "op" | "word" | "string";
  readonly text: string;
}

function markerTokens(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  MARKER_TOKEN.lastIndex = 0;
  while (MARKER_TOKEN.lastIndex < text.length) {
    const from = MARKER_TOKEN.lastIndex;
    const match = MARKER_TOKEN.exec(text);
    if (match === null) return /^[ \t]*$/.test(text.slice(from)) ? tokens : undefined;
    const [, paren, op, word] = match;
    if (paren !== undefined) tokens.push({ kind: "paren", text: paren });
    else if (op !== undefined) tokens.push({ kind: "op", text: op });
    else if (word !== undefined) tokens.push({ kind: "word", text: word });
    else tokens.push({ kind: "string", text: "" });
  }
  return tokens;
}

/**
 * marker_or := marker_and ("or" marker_and)*; marker_and := expr ("and" expr)*;
 * expr := var op var | "(" marker_or ")". Iterative, so a deep nest costs no stack.
 */
export function isSimpleMarker(text: string): boolean {
  const tokens = markerTokens(text);
  if (tokens === undefined || tokens.length === 0) return false;
  let at = 0;
  let depth = 0;
  const isVariable = (token: Token | undefined): boolean =>
    token !== undefined &&
    (token.kind === "string" || (token.kind === "word" && MARKER_VARIABLES.has(token.text)));
  for (;;) {
    // An expression: any number of "(" then `var op var`, then any number of ")".
    while (tokens[at]?.kind === "paren" && tokens[at]?.text === "(") {
      depth += 1;
      at += 1;
    }
    if (!isVariable(tokens[at])) return false;
    at += 1;
    const op = tokens[at];
    if (op?.kind === "op" || (op?.kind === "word" && op.text === "in")) at += 1;
    else if (op?.kind === "word" && op.text === "not" && tokens[at + 1]?.text === "in") at += 2;
    else return false;
    if (!isVariable(tokens[at])) return false;
    at += 1;
    while (tokens[at]?.kind === "paren" && tokens[at]?.text === ")") {
      if (depth === 0) return false;
      depth -= 1;
      at += 1;
    }
    const next = tokens[at];
    if (next === undefined) return depth === 0;
    if (next.kind !== "word" || (next.text !== "and" && next.text !== "or")) return false;
    at += 1;
  }
}

const RELEASE = "(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)*";
const PLAIN_VERSION = new RegExp(
  `^${RELEASE}(?:(?:a|b|rc)[0-9]+)?(?:\\.post[0-9]+)?(?:\\.dev[0-9]+)?$`,
);
const PREFIX_VERSION = new RegExp(`^${RELEASE}\\.\\*$`);
const COMPATIBLE_VERSION =
  /^(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)+(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?$/;

/**
 * A PEP 440 specifier in its normal form (`>=1.2`, `==1.2.*`, `~=1.4rc1`), known valid without
 * the PEP 440 library (about 40 µs a call, the largest cost of a long requirements file).
 * False means "ask the library", not "invalid".
 */
export function isPlainSpecifier(spec: {
  readonly operator: string;
  readonly version: string;
}): boolean {
  const { operator, version } = spec;
  if (operator === "~=") return COMPATIBLE_VERSION.test(version);
  if (operator === "==" || operator === "!=") {
    return PLAIN_VERSION.test(version) || PREFIX_VERSION.test(version);
  }
  if (["<", ">", "<=", ">="].includes(operator)) return PLAIN_VERSION.test(version);
  return false;
}
