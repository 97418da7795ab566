/**
 * The limits every definition file is read under, in one place for the CLI, the API and the
 * SDK, so a file refused by one is refused by all with the same message. They keep parsing
 * bounded: with them no single request holds the server's event loop for long (docs/limits.md
 * has the figures), and a huge file is refused before it is read into memory.
 */
import type { Problem } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";
import type { SourceText } from "./definition.js";

export const INPUT_LIMITS = {
  /** Bytes of one definition file (conda yml, requirements, envforge.yaml, Dockerfile, ...). */
  fileBytes: 256 * 1024,
  /** Characters of one line (a pip line after joining `\` continuations). */
  lineLength: 16 * 1024,
  /** Characters of one pip requirement without its options (name, extras, versions, marker, URL). */
  requirementLength: 2048,
  /** Items of one list (conda dependencies, pip requirements, apt packages, channels, ...). */
  listItems: 1000,
  /** Depth of nested YAML maps and lists. */
  nesting: 32,
  /**
   * Lines, commas and opening brackets of one YAML file together: a bound on its entries, checked
   * before the YAML parser runs (its cost grows with entries, not bytes).
   */
  yamlEntries: 3000,
} as const;

const KIB = 1024;

function size(bytes: number): string {
  return bytes >= KIB ? `${(bytes / KIB).toFixed(bytes % KIB === 0 ? 0 : 1)} KiB` : `${bytes} B`;
}

/** The problem for a file over the byte limit (also used before reading a file from disk). */
export function fileSizeProblem(path: string, bytes: number): Problem | undefined {
  if (bytes <= INPUT_LIMITS.fileBytes) return undefined;
  return {
    file: path,
    message: "the file is larger than a definition file may be",
    found: `${bytes} bytes (${size(bytes)})`,
    allowed: `at most ${INPUT_LIMITS.fileBytes} bytes (${size(INPUT_LIMITS.fileBytes)}); docs/limits.md`,
  };
}

/** The problem for a line over the line limit (1-based line number). */
export function lineLengthProblem(path: string, line: number, length: number): Problem {
  return {
    file: path,
    line,
    message: "the line is longer than a definition line may be",
    found: `${length} characters`,
    allowed: `at most ${INPUT_LIMITS.lineLength} characters; docs/limits.md`,
  };
}

/** The problem for a list with too many items. */
export function listItemsProblem(path: string, key: string, count: number): Problem {
  return {
    file: path,
    ...(key === "" ? {} : { key }),
    message: "the list has more items than a definition may hold",
    found: `${count} items`,
    allowed: `at most ${INPUT_LIMITS.listItems}; docs/limits.md`,
  };
}

/**
 * Checks a file's size and line lengths in one linear pass; throws one ValidationError. Byte
 * size is UTF-8 (what is on disk or on the wire); lines are split at `\n`.
 */
export function checkTextLimits(source: SourceText): void {
  // Every character is at least one byte: a text longer than the limit is over it without
  // counting (counting 15 MiB would itself hold the event loop for tens of milliseconds).
  if (source.text.length > INPUT_LIMITS.fileBytes) {
    throw ValidationError.single({
      file: source.path,
      message: "the file is larger than a definition file may be",
      found: `more than ${source.text.length} bytes`,
      allowed: `at most ${INPUT_LIMITS.fileBytes} bytes (${size(INPUT_LIMITS.fileBytes)}); docs/limits.md`,
    });
  }
  const bytes = utf8Length(source.text);
  const tooBig = fileSizeProblem(source.path, bytes);
  if (tooBig !== undefined) throw ValidationError.single(tooBig);
  const problems: Problem[] = [];
  let start = 0;
  let line = 1;
  while (start <= source.text.length) {
    const end = source.text.indexOf("\n", start);
    const stop = end === -1 ? source.text.length : end;
    if (stop - start > INPUT_LIMITS.lineLength) {
      problems.push(lineLengthProblem(source.path, line, stop - start));
      if (problems.length >= 10) break; // enough to say what is wrong
    }
    if (end === -1) break;
    start = end + 1;
    line += 1;
  }
  if (problems.length > 0) throw new ValidationError(problems);
}

/** The problem for a YAML file with more entries than the parser is given; checked in one pass. */
export function yamlEntriesProblem(source: SourceText): Problem | undefined {
  let count = 0;
  const text = source.text;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // \n , [ {
    if (code === 10 || code === 44 || code === 91 || code === 123) count += 1;
  }
  if (count <= INPUT_LIMITS.yamlEntries) return undefined;
  return {
    file: source.path,
    message: "the file has more entries than a YAML definition may hold",
    found: `${count} lines, commas and opening brackets`,
    allowed: `at most ${INPUT_LIMITS.yamlEntries} together; docs/limits.md`,
  };
}

/**
 * Checks nesting depth and list lengths of parsed YAML data, iteratively (a deep document must
 * not exhaust the stack); returns the problems. `key` paths are dotted as in other messages.
 */
export function structureProblems(path: string, value: unknown): Problem[] {
  const problems: Problem[] = [];
  const stack: { value: unknown; key: string; depth: number }[] = [{ value, key: "", depth: 0 }];
  while (stack.length > 0 && problems.length < 10) {
    const item = stack.pop();
    if (item === undefined || typeof item.value !== "object" || item.value === null) continue;
    if (item.depth >= INPUT_LIMITS.nesting) {
      problems.push({
        file: path,
        ...(item.key === "" ? {} : { key: item.key }),
        message: "the document is nested deeper than a definition may be",
        found: `more than ${INPUT_LIMITS.nesting} levels`,
        allowed: `at most ${INPUT_LIMITS.nesting} levels of maps and lists; docs/limits.md`,
      });
      continue;
    }
    if (Array.isArray(item.value)) {
      if (item.value.length > INPUT_LIMITS.listItems) {
        problems.push(listItemsProblem(path, item.key, item.value.length));
        continue;
      }
      item.value.forEach((child: unknown, index) => {
        stack.push({ value: child, key: `${item.key}[${index}]`, depth: item.depth + 1 });
      });
      continue;
    }
    for (const [name, child] of Object.entries(item.value)) {
      const key = item.key === "" ? name : `${item.key}.${name}`;
      stack.push({ value: child, key, depth: item.depth + 1 });
    }
  }
  return problems;
}

/** UTF-8 byte length without allocating a buffer (pure: no Buffer in the core). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}
