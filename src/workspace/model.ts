/**
 * What the workspace service hands to its callers (CLI, HTTP API, SDK). Readonly data, JSON-safe
 * except for the Definition and Lock, which are the definition/ models unchanged.
 */
import type { Definition } from "../definition/definition.js";
import type { Lock } from "../definition/lock.js";

/** The workspace every store has from the start; surfaces use it when none is named. */
export const DEFAULT_WORKSPACE = "default";

/** Curated environments ship with envforge; user names may not start with this. */
export const RESERVED_PREFIX = "envforge-";

/** The managed label: the newest unarchived version. Never set or removed by hand. */
export const LATEST_LABEL = "latest";

export interface Workspace {
  readonly name: string;
  readonly description?: string;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
}

export interface EnvironmentVersion {
  readonly workspace: string;
  readonly name: string;
  readonly version: number;
  readonly definition: Definition;
  /** `envforge_<32 hex>` */
  readonly definitionHash: string;
  /** The files the definition was read from (path → text), kept for display only. */
  readonly sourceFiles: Readonly<Record<string, string>>;
  readonly lock?: Lock;
  readonly description?: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Sorted; includes `latest` when this is the newest unarchived version. */
  readonly labels: readonly string[];
  readonly archived: boolean;
  /** True for the read-only environments that ship with envforge. */
  readonly curated: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface EnvironmentSummary {
  readonly workspace: string;
  readonly name: string;
  readonly archived: boolean;
  /** The `latest` version; absent when every version is archived. */
  readonly latestVersion?: number;
  readonly createdAt: string;
  /** When a version was added or the environment was archived or restored. */
  readonly updatedAt: string;
}

/** One environment with where its labels point (`latest` included when there is one). */
export interface EnvironmentDetails extends EnvironmentSummary {
  /** Label → version, sorted by label. */
  readonly labels: Readonly<Record<string, number>>;
  readonly curated: boolean;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Pass back as `cursor` to get the next page; absent on the last page. */
  readonly nextCursor?: string;
}

export const TOKEN_SCOPES = ["read", "write", "admin"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** An API token as listed: never the secret, never its hash. */
export interface ApiToken {
  readonly id: string;
  readonly workspace: string;
  readonly name: string;
  /** Sorted in TOKEN_SCOPES order. */
  readonly scopes: readonly TokenScope[];
  readonly createdAt: string;
  readonly revokedAt?: string;
}

/** What a verified token grants. */
export interface TokenGrant {
  readonly tokenId: string;
  readonly workspace: string;
  readonly scopes: readonly TokenScope[];
}
