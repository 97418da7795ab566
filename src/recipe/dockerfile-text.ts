/**
 * Writing values into a Dockerfile safely. Dockerfile double-quoted words treat only the escape
 * character, `"` and `$` specially (buildkit frontend/dockerfile/shell/lex.go processDoubleQuote),
 * so escaping those three makes any single-line value literal. Line breaks cannot be quoted at
 * all: a value holding one is refused before a recipe is made (see check-input.ts).
 */

/** The Dockerfile escape character: `\` unless a `# escape=` parser directive changes it. */
export type EscapeChar = "\\" | "`";

/** `"value"` with the escape character, `"` and `$` escaped, for ENV and LABEL. */
export function quoteWord(value: string, escape: EscapeChar): string {
  let out = '"';
  for (const char of value) {
    out += char === escape || char === '"' || char === "$" ? escape + char : char;
  }
  return `${out}"`;
}

/** Joins the lines of one instruction with line continuations, indenting the following lines. */
export function continued(lines: readonly string[], escape: EscapeChar): string {
  return lines.map((line, i) => (i === 0 ? line : `    ${line}`)).join(` ${escape}\n`);
}

/** C0 controls (except tab) and DEL: a line break or NUL here would end or corrupt a line. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARACTER = /[\u0000-\u0008\u000a-\u001f\u007f\u2028\u2029]/u;
