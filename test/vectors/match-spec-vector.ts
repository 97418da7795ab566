/** One MatchSpec vector from a peer's test suite: the spec text and what the peer reads. */
export interface MatchSpecVector {
  readonly spec: string;
  readonly name: string;
  /** The version as the peer writes it; compared by meaning (rattler), absent = any. */
  readonly version?: string;
  readonly build?: string;
  readonly channel?: string;
  readonly subdir?: string;
  /** Other bracket keys, as written. */
  readonly extra?: Readonly<Record<string, string>>;
  /** The peer's own canonical text for it, which must read back to the same spec. */
  readonly canonical?: string;
  /** The peer reads it, envforge refuses it on purpose: why (docs/match-spec.md). */
  readonly refused?: string;
}

/** One VersionSpec vector: does `spec` match `version`? */
export interface VersionMatchVector {
  readonly spec: string;
  readonly version: string;
  readonly matches: boolean;
  /** Where rattler (envforge's solver) and conda disagree, what rattler and envforge say. */
  readonly rattler?: { readonly matches: boolean; readonly why: string };
}

/** A version spec the peer refuses, or reads the same as `sameAs`. */
export interface VersionParseVector {
  readonly spec: string;
  /** Absent: the peer refuses it (and envforge must too, unless `envforge` says otherwise). */
  readonly sameAs?: string;
  /** Where envforge follows the other peer (rattler) instead: what it reads. */
  readonly envforge?: { readonly sameAs: string; readonly why: string };
}
