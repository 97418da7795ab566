/**
 * Small value rules shared by every definition source (envforge.yaml checks them with line
 * numbers, assembleDefinition checks them again for SDK callers). Each returns a Problem body
 * (message/found/allowed) or undefined; the caller adds where it is.
 */
import type { Problem } from "../errors/index.js";

export type ValueProblem = Pick<Problem, "message" | "found" | "allowed">;

/**
 * Debian policy §5.6.1 (package names: lower case, digits, `+ - .`, at least two characters,
 * starting alphanumeric) and §5.6.12 (versions), as `name` or `name=version`. Anything else
 * (spaces, `;`, newlines) could smuggle a shell command into the generated `apt-get install`.
 */
const APT_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
const APT_VERSION = /^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~-]*$/;

/** What an apt package may be, for messages: the parsers and the recipe check both say it. */
export const APT_PACKAGE_ALLOWED =
  'a name such as "libgomp1" or "curl=7.88.1-10+deb12u5" (lower case, digits, "+", "-", ".")';

/**
 * The one rule for an apt package, used where a definition is read (envforge.yaml, the SDK's
 * assembleDefinition) and again before a Dockerfile is written (recipe/check-input.ts).
 */
export function isAptPackage(text: string): boolean {
  const [name = "", version, ...extra] = text.split("=");
  return (
    APT_NAME.test(name) &&
    extra.length === 0 &&
    (version === undefined || APT_VERSION.test(version))
  );
}

export function checkAptPackage(text: string): ValueProblem | undefined {
  if (isAptPackage(text)) return undefined;
  return {
    message: "not a Debian package name",
    found: JSON.stringify(text),
    allowed: APT_PACKAGE_ALLOWED,
  };
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkVariableName(name: string): ValueProblem | undefined {
  if (VARIABLE_NAME.test(name)) return undefined;
  return {
    message: "not a valid environment variable name",
    found: JSON.stringify(name),
    allowed: "letters, digits and _, not starting with a digit",
  };
}

/** A line break in a value would start a new Dockerfile instruction after `ENV`. */
export function checkVariableValue(value: string): ValueProblem | undefined {
  if (!/[\r\n\0]/.test(value)) return undefined;
  return {
    message: "an environment variable value cannot contain a line break or NUL",
    found: JSON.stringify(value),
  };
}

/** Conda subdirs envforge can build for: Linux only (images are Linux images). */
export const PLATFORMS = [
  "linux-64",
  "linux-aarch64",
  "linux-ppc64le",
  "linux-s390x",
  "linux-armv7l",
] as const;

export function checkPlatform(platform: string): ValueProblem | undefined {
  if ((PLATFORMS as readonly string[]).includes(platform)) return undefined;
  return {
    message: "not a supported platform",
    found: JSON.stringify(platform),
    allowed: PLATFORMS.join(", "),
  };
}

/** The package name of a conda match spec as written: `conda-forge::python>=3.8` → `python`. */
export function condaPackageName(spec: string): string {
  const at = spec.lastIndexOf("::");
  const rest = (at < 0 ? spec : spec.slice(at + 2)).trim();
  return (/^[^\s=<>!~[]+/.exec(rest)?.[0] ?? "").toLowerCase();
}
