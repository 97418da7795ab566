/**
 * Python project name rules: PEP 503 normalisation (how indexes and pip compare names) and the
 * PEP 508 name grammar.
 */

/** `Foo.Bar__baz` → `foo-bar-baz`: lower case, every run of `-`, `_` and `.` as one `-`. */
export function normalizePipName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

// PEP 508: letters and digits at both ends, `-_.` allowed inside.
const VALID_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;

/** True when `name` is a valid PEP 508 project name. */
export function isValidPipName(name: string): boolean {
  return VALID_NAME.test(name);
}
