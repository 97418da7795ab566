/**
 * Conda MatchSpec parsing (name, version spec, build string, channel and subdir prefix,
 * bracket keys). Being written: the signatures below are the contract other modules code against.
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

export function parseMatchSpec(_text: string): MatchSpecResult {
  throw new Error("parseMatchSpec: not written yet");
}

/** The canonical text form, e.g. `conda-forge::numpy[version='>=1.2',build=py*]` when needed. */
export function formatMatchSpec(_spec: MatchSpec): string {
  throw new Error("formatMatchSpec: not written yet");
}
