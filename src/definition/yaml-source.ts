/**
 * Shared ground for every YAML-based definition parser: parse once, keep positions, and turn
 * YAML syntax errors and zod issues into Problems that say where (file, line, column, key).
 */
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument } from "yaml";
import type { Document } from "yaml";
import * as z from "zod";
import type { Problem } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";
import type { SourceText } from "./definition.js";
import { checkTextLimits, structureProblems, yamlEntriesProblem } from "./input-limits.js";
import { nearMissAnyKind, nearestKey } from "./near-miss.js";

/** A key path inside a parsed document: map keys and sequence indexes. */
export type KeyPath = readonly (string | number)[];

/** 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface YamlSource {
  readonly source: SourceText;
  /** The document as plain data (maps → objects, sequences → arrays); `null` for an empty file. */
  readonly value: unknown;
  /** The parsed document, for callers that edit it keeping comments and order. */
  readonly document: Document;
  /**
   * Where a key (for a map entry) or an item (for a sequence index) starts; undefined when the
   * path does not exist in the document.
   */
  readonly locate: (path: KeyPath) => Position | undefined;
  /** Where the value at `path` starts (the value of a map entry, not its key). */
  readonly locateValue: (path: KeyPath) => Position | undefined;
  /** Like `locate`, but falls back to the deepest existing ancestor (e.g. for a missing key). */
  readonly locateNearest: (path: KeyPath) => Position | undefined;
  /**
   * The text of a scalar as written, e.g. `1.10` where the plain value is the number 1.1;
   * undefined when the path is not a scalar.
   */
  readonly scalarText: (path: KeyPath) => string | undefined;
}

/**
 * What each source object parsed to, or the error it gave: telling a file's kind from its keys
 * and then reading it as that kind parse the same source, and YAML parsing is most of what
 * `envforge hash FILE` does after start-up. Keyed by the object, so a new text is a new parse.
 */
const parsed = new WeakMap<
  SourceText,
  { readonly text: string; readonly outcome: YamlSource | ValidationError }
>();

/**
 * Parses YAML text, once per source object. Syntax errors (all of them, not just the first)
 * become one ValidationError with file, line, column and the parser's message.
 */
export function parseYamlSource(source: SourceText): YamlSource {
  const known = parsed.get(source);
  if (known !== undefined && known.text === source.text) {
    if (known.outcome instanceof ValidationError) throw known.outcome;
    return known.outcome;
  }
  try {
    const yaml = parseYamlText(source);
    parsed.set(source, { text: source.text, outcome: yaml });
    return yaml;
  } catch (error) {
    if (error instanceof ValidationError) parsed.set(source, { text: source.text, outcome: error });
    throw error;
  }
}

function parseYamlText(source: SourceText): YamlSource {
  checkTextLimits(source);
  const tooMany = yamlEntriesProblem(source);
  if (tooMany !== undefined) throw ValidationError.single(tooMany);
  const lineCounter = new LineCounter();
  // prettyErrors off: its messages embed a source excerpt; we report the position ourselves.
  // uniqueKeys off: the parser's own check compares each key with every other (quadratic: 40,000
  // keys took 19 s); duplicateKeys below does it with a set.
  const document = parseDocument(source.text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: false,
  });
  const errors = [
    ...document.errors.map((error) => ({ offset: error.pos[0], message: error.message })),
    ...duplicateKeys(document),
  ].sort((a, b) => a.offset - b.offset);
  if (errors.length > 0) {
    throw new ValidationError(
      errors.map((error) => {
        const at = lineCounter.linePos(error.offset);
        return {
          file: source.path,
          line: at.line,
          column: at.col,
          message: `invalid YAML: ${error.message}`,
        };
      }),
    );
  }
  const position = (offset: number): Position => {
    const at = lineCounter.linePos(offset);
    return { line: at.line, column: at.col };
  };
  const locate = (path: KeyPath): Position | undefined => {
    const offset = offsetOf(document, path, "key");
    return offset === undefined ? undefined : position(offset);
  };
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 }) ?? null;
  } catch (error) {
    // toJS refuses alias bombs ("billion laughs"); that is bad input, not a bug.
    throw ValidationError.single(
      {
        file: source.path,
        message: `invalid YAML: ${error instanceof Error ? error.message : String(error)}`,
      },
      { cause: error },
    );
  }
  const tooLarge = structureProblems(source.path, value);
  if (tooLarge.length > 0) throw new ValidationError(tooLarge);
  return {
    source,
    value,
    document,
    locate,
    locateValue: (path) => {
      const offset = offsetOf(document, path, "value");
      return offset === undefined ? undefined : position(offset);
    },
    locateNearest: (path) => {
      for (let length = path.length; length >= 0; length -= 1) {
        const found = locate(path.slice(0, length));
        if (found !== undefined) return found;
      }
      return undefined;
    },
    scalarText: (path) => {
      const node = document.getIn(path, true);
      if (!isScalar(node)) return undefined;
      return node.source ?? (typeof node.value === "string" ? node.value : String(node.value));
    },
  };
}

/**
 * Start offset of the key (map entry, `target` "key") or of the value at `path`; for a sequence
 * item both are the item.
 */
function offsetOf(document: Document, path: KeyPath, target: "key" | "value"): number | undefined {
  let node: unknown = document.contents;
  let offset: number | undefined = rangeStart(node);
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(step),
      );
      if (pair === undefined) return undefined;
      offset =
        target === "key"
          ? (rangeStart(pair.key) ?? rangeStart(pair.value))
          : (rangeStart(pair.value) ?? rangeStart(pair.key));
      node = pair.value;
    } else if (isSeq(node) && typeof step === "number") {
      const item: unknown = node.items[step];
      if (item === undefined) return undefined;
      offset = rangeStart(item);
      node = item;
    } else {
      return undefined;
    }
  }
  return offset;
}

/** Where a map repeats a key (scalar keys, compared by value as the parser did). */
function duplicateKeys(document: Document): { offset: number; message: string }[] {
  const found: { offset: number; message: string }[] = [];
  const stack: unknown[] = [document.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isSeq(node)) {
      stack.push(...node.items);
    } else if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        stack.push(pair.value);
        if (!isScalar(pair.key)) {
          stack.push(pair.key);
          continue;
        }
        if (seen.has(pair.key.value)) {
          found.push({ offset: pair.key.range?.[0] ?? 0, message: "Map keys must be unique" });
        }
        seen.add(pair.key.value);
      }
    }
  }
  return found;
}

function rangeStart(node: unknown): number | undefined {
  if (isScalar(node) || isMap(node) || isSeq(node)) return node.range?.[0];
  return undefined;
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** `dependencies[3]`, `build.path`, `tags["my key"]`; the empty string for the root. */
export function formatKeyPath(path: KeyPath): string {
  let text = "";
  for (const step of path) {
    if (typeof step === "number") text += `[${step}]`;
    else if (PLAIN_KEY.test(step)) text += text === "" ? step : `.${step}`;
    else text += `[${JSON.stringify(step)}]`;
  }
  return text;
}

/** Describes a value for the `found` field: `"text"`, `3`, `true`, `a list`, `a mapping`. */
export function describeFound(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "an empty value";
  if (typeof value === "string") return JSON.stringify(truncate(value));
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "a list",
  tuple: "a list",
  object: "a mapping",
  record: "a mapping",
  map: "a mapping",
  null: "an empty value",
};

function typeWords(expected: string): string {
  return TYPE_WORDS[expected] ?? expected;
}

export interface ZodIssueContext {
  readonly yaml: YamlSource;
  /** The schema the issues came from; used to list the allowed keys of a mapping. */
  readonly schema: z.ZodType;
  /** Prepended to issue paths when the schema validated a sub-tree of the document. */
  readonly basePath?: KeyPath;
}

/**
 * Turns zod issues (from `schema.safeParse(yaml.value)`) into Problems with file, line, column,
 * key, found and allowed. Unknown keys give one problem each, listing the allowed keys.
 */
export function problemsFromZodIssues(
  issues: readonly z.core.$ZodIssue[],
  context: ZodIssueContext,
): Problem[] {
  return issues.flatMap((issue) => problemsFromIssue(issue, context));
}

function problemsFromIssue(issue: z.core.$ZodIssue, context: ZodIssueContext): Problem[] {
  const { yaml } = context;
  const relative = issue.path.filter(isKeyStep);
  const path = [...(context.basePath ?? []), ...relative];
  const valueHere = valueAt(yaml.value, path);
  // Unknown and missing keys point at the key (or its parent); bad values at the value.
  const at = (where: KeyPath, exact: boolean): Problem => {
    const position = (exact ? yaml.locateValue(where) : undefined) ?? yaml.locateNearest(where);
    const key = formatKeyPath(where);
    return {
      file: yaml.source.path,
      ...(position === undefined ? {} : { line: position.line, column: position.column }),
      ...(key === "" ? {} : { key }),
      message: "",
    };
  };
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = allowedKeys(context.schema, relative);
      return issue.keys.map((name) => ({
        ...at([...path, name], false),
        message: `unknown key ${JSON.stringify(name)}${didYouMean(name, allowed, path.length === 0)}`,
        ...(allowed === undefined ? {} : { allowed: allowed.join(", ") }),
      }));
    }
    case "invalid_type": {
      if (valueHere === undefined) {
        const last = path[path.length - 1];
        return [
          {
            ...at(path, false),
            message: `missing required key ${JSON.stringify(String(last))}`,
            allowed: typeWords(issue.expected),
          },
        ];
      }
      return [
        {
          ...at(path, true),
          message: `expected ${typeWords(issue.expected)}`,
          found: describeFound(valueHere),
          allowed: typeWords(issue.expected),
        },
      ];
    }
    case "invalid_value":
      return [
        {
          ...at(path, true),
          message: "not an allowed value",
          found: describeFound(valueHere),
          allowed: issue.values.map((value) => JSON.stringify(value)).join(", "),
        },
      ];
    case "invalid_union":
      return problemsFromUnion(issue, context, valueHere, at(path, true));
    case "too_small":
    case "too_big": {
      const rule = sizeRule(issue);
      if (rule === undefined) break;
      return [{ ...at(path, true), ...rule, found: describeFound(valueHere) }];
    }
    default:
      break;
  }
  return [{ ...at(path, true), message: issue.message, found: describeFound(valueHere) }];
}

/** Plain words for a size limit; undefined for limits zod's own message says better. */
function sizeRule(
  issue: z.core.$ZodIssue & { code: "too_small" | "too_big" },
): { message: string; allowed: string } | undefined {
  const small = issue.code === "too_small";
  const limit = Number(small ? issue.minimum : issue.maximum);
  if (issue.origin === "number" || issue.origin === "int") {
    const bound = small
      ? issue.inclusive === false
        ? "more than"
        : "at least"
      : issue.inclusive === false
        ? "less than"
        : "at most";
    return { message: `must be ${bound} ${limit}`, allowed: `${bound} ${limit}` };
  }
  const unit = issue.origin === "string" ? "character" : issue.origin === "array" ? "item" : "";
  if (unit === "") return undefined;
  const units = `${limit} ${unit}${limit === 1 ? "" : "s"}`;
  if (small && limit === 1 && issue.exact !== true) {
    return { message: "must not be empty", allowed: `at least ${units}` };
  }
  const bound = issue.exact === true ? "exactly" : small ? "at least" : "at most";
  return { message: `must have ${bound} ${units}`, allowed: `${bound} ${units}` };
}

/**
 * A union failed: if one branch accepted the value's type, its issues are the useful ones
 * (e.g. an unknown key inside `{pip: [...]}`); otherwise say which types were allowed.
 */
function problemsFromUnion(
  issue: z.core.$ZodIssue & { code: "invalid_union" },
  context: ZodIssueContext,
  valueHere: unknown,
  here: Problem,
): Problem[] {
  const typeMismatch = (branch: readonly z.core.$ZodIssue[]): boolean =>
    branch.some((inner) => inner.code === "invalid_type" && inner.path.length === 0);
  const matching = issue.errors.find((branch) => branch.length > 0 && !typeMismatch(branch));
  if (matching !== undefined) {
    return problemsFromZodIssues(
      matching.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })),
      context,
    );
  }
  const expected = issue.errors.flatMap((branch) =>
    branch.flatMap((inner) =>
      inner.code === "invalid_type" && inner.path.length === 0 ? [typeWords(inner.expected)] : [],
    ),
  );
  const allowed = [...new Set(expected)].join(" or ");
  return [
    {
      ...here,
      message: allowed === "" ? issue.message : `expected ${allowed}`,
      found: describeFound(valueHere),
      ...(allowed === "" ? {} : { allowed }),
    },
  ];
}

function isKeyStep(step: PropertyKey): step is string | number {
  return typeof step === "string" || typeof step === "number";
}

function valueAt(root: unknown, path: KeyPath): unknown {
  let value = root;
  for (const step of path) {
    if (Array.isArray(value) && typeof step === "number") value = value[step];
    else if (isRecord(value)) value = value[String(step)];
    else return undefined;
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The keys of the object schema found at `path` inside `schema`, sorted; undefined if none. */
export function allowedKeys(schema: z.ZodType, path: KeyPath): string[] | undefined {
  const keys = new Set<string>();
  collectKeys(schema, path, keys);
  return keys.size === 0 ? undefined : [...keys].sort();
}

function collectKeys(schema: unknown, path: KeyPath, keys: Set<string>): void {
  if (
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodNullable ||
    schema instanceof z.ZodDefault
  ) {
    collectKeys(schema.unwrap(), path, keys);
  } else if (schema instanceof z.ZodPipe) {
    collectKeys(schema.in, path, keys);
  } else if (schema instanceof z.ZodUnion) {
    for (const option of schema.options) collectKeys(option, path, keys);
  } else if (schema instanceof z.ZodObject) {
    const [head, ...rest] = path;
    if (head === undefined) {
      for (const key of Object.keys(schema.shape)) keys.add(key);
    } else {
      const shape: Record<string, unknown> = schema.shape;
      collectKeys(shape[String(head)], rest, keys);
    }
  } else if (schema instanceof z.ZodArray && typeof path[0] === "number") {
    collectKeys(schema.element, path.slice(1), keys);
  } else if (schema instanceof z.ZodRecord && path.length > 0) {
    collectKeys(schema.valueType, path.slice(1), keys);
  }
}

/**
 * `; did you mean "channels"?` for a key 1–2 edits from an allowed one; at the top level, also
 * for a key of another kind of definition, named with that kind.
 */
function didYouMean(
  name: string,
  allowed: readonly string[] | undefined,
  topLevel: boolean,
): string {
  const here = allowed === undefined ? undefined : nearestKey(name, allowed);
  if (here !== undefined) return `; did you mean ${JSON.stringify(here)}?`;
  if (!topLevel) return "";
  const other = nearMissAnyKind(name);
  return other === undefined
    ? ""
    : `; did you mean ${JSON.stringify(other.key)}? (a key of ${other.kind})`;
}
