/**
 * The store port: what the workspace service needs from a database, in its own terms. Adapters
 * (sqlite-store.ts, postgres-store.ts) implement it; no library type crosses this boundary.
 * JSON-valued columns travel as canonical JSON text so both databases keep them byte for byte.
 */
import type { BuildStoreTx } from "./build-store.js";
import type { ContextContentStoreTx } from "./context-content-store.js";
import type { UrlCredentialStoreTx } from "./url-credentials-store.js";
import type { JobOfferStoreTx } from "./job-offers-store.js";
import type { JobStoreTx } from "./job-store.js";
import type { OperationsStatsTx } from "./operations-stats.js";

export interface WorkspaceRecord {
  readonly name: string;
  readonly description: string | null;
  readonly createdAt: string;
}

export interface EnvironmentRecord {
  readonly workspace: string;
  readonly name: string;
  readonly archived: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface EnvironmentListRecord extends EnvironmentRecord {
  /** Highest unarchived version, null when there is none. */
  readonly latestVersion: number | null;
}

export interface VersionRecord {
  readonly workspace: string;
  readonly name: string;
  readonly version: number;
  readonly definitionJson: string;
  readonly definitionHash: string;
  readonly sourceFilesJson: string;
  readonly lockJson: string | null;
  readonly description: string | null;
  readonly tagsJson: string;
  readonly archived: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface LabelRecord {
  readonly workspace: string;
  readonly name: string;
  readonly label: string;
  readonly version: number;
  readonly updatedAt: string;
}

export interface TokenRecord {
  readonly id: string;
  readonly workspace: string;
  readonly name: string;
  readonly scopesJson: string;
  /** sha256 hex of the secret; the secret itself is never stored. */
  readonly tokenHash: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export interface EnvironmentKey {
  readonly workspace: string;
  readonly name: string;
}

export interface VersionKey extends EnvironmentKey {
  readonly version: number;
}

export interface RowCounts {
  readonly workspaces: number;
  readonly environments: number;
  readonly versions: number;
  readonly labels: number;
  readonly tokens: number;
}

/** Operations inside one transaction. Every method sees the transaction's own writes. */
export interface StoreTx
  extends
    BuildStoreTx,
    JobStoreTx,
    ContextContentStoreTx,
    OperationsStatsTx,
    UrlCredentialStoreTx,
    JobOfferStoreTx {
  insertWorkspace(record: WorkspaceRecord): Promise<boolean>;
  getWorkspace(name: string): Promise<WorkspaceRecord | undefined>;
  listWorkspaces(): Promise<readonly WorkspaceRecord[]>;

  /**
   * Holds the environment row locked until the transaction ends (creating it first when `create`
   * is set), so that writers of one environment, version allocation above all, run one at a time.
   */
  lockEnvironment(
    key: EnvironmentKey & { readonly create: true; readonly now: string },
  ): Promise<EnvironmentRecord>;
  lockEnvironment(
    key: EnvironmentKey & { readonly create: false },
  ): Promise<EnvironmentRecord | undefined>;
  getEnvironment(key: EnvironmentKey): Promise<EnvironmentRecord | undefined>;
  /** Ordered by name; only those with an unarchived version unless includeArchived. */
  listEnvironments(query: {
    readonly workspace: string;
    readonly includeArchived: boolean;
    readonly afterName?: string;
    readonly limit: number;
  }): Promise<readonly EnvironmentListRecord[]>;
  setEnvironmentArchived(
    key: EnvironmentKey & { readonly archived: boolean; readonly now: string },
  ): Promise<void>;
  /** Records that the environment changed (a version was added). */
  touchEnvironment(key: EnvironmentKey & { readonly now: string }): Promise<void>;

  getVersion(key: VersionKey): Promise<VersionRecord | undefined>;
  /** The highest-numbered version, or the highest unarchived one. */
  newestVersion(
    key: EnvironmentKey & { readonly includeArchived: boolean },
  ): Promise<VersionRecord | undefined>;
  /** newestVersion without the definition and source texts: what registration compares. */
  newestVersionHead(
    key: EnvironmentKey & { readonly includeArchived: boolean },
  ): Promise<VersionHead | undefined>;
  /** 0 when the environment has no version. */
  maxVersionNumber(key: EnvironmentKey): Promise<number>;
  /**
   * In one query: the highest version number (0 when none) and the number and definition hash
   * of the newest version (or newest unarchived one), what registration decides by.
   */
  versionNumbers(key: EnvironmentKey & { readonly includeArchived: boolean }): Promise<{
    readonly max: number;
    readonly newest?: { readonly version: number; readonly definitionHash: string };
  }>;
  /** Inserts the version and records that the environment changed (its `updated_at`). */
  insertVersion(record: VersionRecord): Promise<void>;
  updateVersion(
    key: VersionKey & {
      readonly description: string | null;
      readonly tagsJson: string;
      readonly archived: boolean;
      readonly now: string;
    },
  ): Promise<void>;
  /** Gives a version stored without a lock the lock of its definition (nothing else changes). */
  setVersionLock(
    key: VersionKey & { readonly lockJson: string; readonly now: string },
  ): Promise<void>;
  /**
   * Replaces a version's lock when it is still `previousLockJson` (null: none): a build pins a
   * base that registration could not, once; a concurrent pin that came first is kept.
   */
  pinVersionLock(
    key: VersionKey & {
      readonly previousLockJson: string | null;
      readonly lockJson: string;
      readonly now: string;
    },
  ): Promise<void>;
  setAllVersionsArchived(
    key: EnvironmentKey & { readonly archived: boolean; readonly now: string },
  ): Promise<void>;
  /** Newest first. */
  listVersions(query: {
    readonly workspace: string;
    readonly name: string;
    readonly includeArchived: boolean;
    readonly beforeVersion?: number;
    readonly limit: number;
  }): Promise<readonly VersionRecord[]>;

  /** Deletes these versions (the retention policy: none may carry a label); the count deleted. */
  deleteVersions(key: EnvironmentKey & { readonly versions: readonly number[] }): Promise<number>;

  /** Ordered by label. */
  listLabels(key: EnvironmentKey): Promise<readonly LabelRecord[]>;
  getLabel(key: EnvironmentKey & { readonly label: string }): Promise<LabelRecord | undefined>;
  putLabel(record: LabelRecord): Promise<void>;
  deleteLabel(key: EnvironmentKey & { readonly label: string }): Promise<boolean>;

  insertToken(record: TokenRecord): Promise<void>;
  /** Ordered by creation time, then id. */
  listTokens(workspace: string): Promise<readonly TokenRecord[]>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  getTokenByHash(tokenHash: string): Promise<TokenRecord | undefined>;
  revokeToken(key: { readonly id: string; readonly now: string }): Promise<void>;

  countRows(): Promise<RowCounts>;
}

/** A version's number, hash, lock and archived flag: a VersionRecord without its big texts. */
export type VersionHead = Pick<
  VersionRecord,
  "version" | "definitionHash" | "lockJson" | "archived"
>;

export interface WorkspaceStore {
  readonly kind: "sqlite" | "postgres";
  /** Where the data lives, without credentials (for `envforge config show` and logs). */
  readonly location: string;
  /** Runs `work` in a transaction that may write; commits when it resolves, rolls back when it throws. */
  write<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Runs `work` in a transaction that only reads, on a consistent snapshot. */
  read<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * Runs `work`, which reads with exactly one statement (consistent on its own), without a
   * transaction around it: on PostgreSQL one round trip instead of three. A second statement
   * is refused (InternalError): use `read`.
   */
  readOne<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
