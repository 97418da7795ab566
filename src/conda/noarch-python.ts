/**
 * Where `noarch: python` packages go: their `site-packages/` into the env's
 * `lib/pythonX.Y/site-packages/`, their `python-scripts/` into `bin/`. The Python version comes
 * from the python package of the lock, as conda and rattler take it from the installed python.
 */
import { ValidationError } from "../errors/index.js";

export interface PythonInfo {
  /** `3.11` */
  readonly shortVersion: string;
  /** `bin/python3.11`, relative to the prefix: what entry points run. */
  readonly executable: string;
  /** `lib/python3.11/site-packages` */
  readonly sitePackages: string;
  /** `bin` */
  readonly binDir: string;
}

/** The env's python from a full version (`3.11.4`, `3.7.0`); undefined if it has no X.Y. */
export function pythonInfoOf(version: string): PythonInfo {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (match === null) {
    throw ValidationError.single({
      key: "python",
      message: "the python package's version has no major.minor part",
      found: JSON.stringify(version),
      allowed: "a version such as 3.11.4",
    });
  }
  const shortVersion = `${match[1]}.${match[2]}`;
  return {
    shortVersion,
    executable: `bin/python${shortVersion}`,
    sitePackages: `lib/python${shortVersion}/site-packages`,
    binDir: "bin",
  };
}

/** The path a file of a noarch python package takes in the prefix. */
export function noarchPythonTargetPath(path: string, python: PythonInfo): string {
  if (path.startsWith("site-packages/")) {
    return `${python.sitePackages}/${path.slice("site-packages/".length)}`;
  }
  if (path.startsWith("python-scripts/")) {
    return `${python.binDir}/${path.slice("python-scripts/".length)}`;
  }
  return path;
}
