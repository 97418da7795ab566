/**
 * The one service the CLI, the HTTP API and the SDK call, so a command and its route cannot
 * disagree. Each method is a function of its own file; this binds them to one store, clock,
 * id generator and curated catalog.
 */
import type { TokenGrant, Workspace } from "./model.js";
import type {
  ApiToken,
  EnvironmentDetails,
  EnvironmentSummary,
  EnvironmentVersion,
  Page,
} from "./model.js";
import type { Clock, NewId } from "./clock.js";
import { randomId, systemClock } from "./clock.js";
import type { CuratedCatalog } from "./curated-catalog.js";
import { shippedCuratedCatalog } from "./curated-catalog.js";
import type { ResolveLock } from "./lock-resolver.js";
import type { WorkspaceStore } from "./store.js";
import type { ServiceContext } from "./service-context.js";
import type { CreateWorkspaceInput } from "./workspaces.js";
import { createWorkspace, getWorkspace, listWorkspaces } from "./workspaces.js";
import type {
  RegisterEnvironmentInput,
  RegisterResult,
  registerEnvironment,
} from "./register-environment.js";
import type { PruneVersionsInput, PruneVersionsResult } from "./prune-versions.js";
import { pruneVersions } from "./prune-versions.js";
import type {
  GetEnvironmentVersionInput,
  ListEnvironmentsInput,
  ListVersionsInput,
} from "./read-environments.js";
import {
  getEnvironment,
  getEnvironmentVersion,
  listCurated,
  listEnvironments,
  listVersions,
} from "./read-environments.js";
import type {
  ArchiveInput,
  RemoveLabelInput,
  SetLabelInput,
  UpdateVersionInput,
} from "./change-environment.js";
import { archive, removeLabel, restore, setLabel, updateVersion } from "./change-environment.js";
import type { CreatedToken, CreateTokenInput } from "./api-tokens.js";
import { createToken, listTokens, revokeToken, verifyToken } from "./api-tokens.js";

export interface EnvironmentService {
  createWorkspace(input: CreateWorkspaceInput): Promise<Workspace>;
  getWorkspace(input: { readonly name: string }): Promise<Workspace>;
  listWorkspaces(): Promise<readonly Workspace[]>;

  registerEnvironment(input: RegisterEnvironmentInput): Promise<RegisterResult>;
  getEnvironment(input: {
    readonly workspace?: string;
    readonly name: string;
  }): Promise<EnvironmentDetails>;
  getEnvironmentVersion(input: GetEnvironmentVersionInput): Promise<EnvironmentVersion>;
  listEnvironments(input?: ListEnvironmentsInput): Promise<Page<EnvironmentSummary>>;
  listVersions(input: ListVersionsInput): Promise<Page<EnvironmentVersion>>;
  listCurated(input?: { readonly workspace?: string }): Promise<readonly EnvironmentVersion[]>;
  /** The retention policy: deletes old versions, never labelled or latest ones (prune-versions.ts). */
  pruneVersions(input: PruneVersionsInput): Promise<PruneVersionsResult>;

  updateVersion(input: UpdateVersionInput): Promise<EnvironmentVersion>;
  setLabel(input: SetLabelInput): Promise<EnvironmentVersion>;
  removeLabel(input: RemoveLabelInput): Promise<void>;
  archive(input: ArchiveInput): Promise<void>;
  restore(input: ArchiveInput): Promise<void>;

  createToken(input: CreateTokenInput): Promise<CreatedToken>;
  listTokens(input?: { readonly workspace?: string }): Promise<readonly ApiToken[]>;
  revokeToken(input: { readonly workspace?: string; readonly id: string }): Promise<ApiToken>;
  verifyToken(secret: string): Promise<TokenGrant>;
}

export interface EnvironmentServiceOptions {
  readonly store: WorkspaceStore;
  readonly clock?: Clock;
  readonly newId?: NewId;
  /** Default: the catalog shipped in `curated/`, parsed with the default settings. */
  readonly curated?: CuratedCatalog;
  /**
   * Resolves the lock of a conda definition at registration (channel-lock-resolver.ts in the
   * composition roots). Without it a version is stored with the lock it was given, or none.
   */
  readonly resolveLock?: ResolveLock;
}

export function createEnvironmentService(options: EnvironmentServiceOptions): EnvironmentService {
  const context: ServiceContext = {
    store: options.store,
    clock: options.clock ?? systemClock,
    newId: options.newId ?? randomId,
    curated: options.curated ?? shippedCuratedCatalog(),
    ...(options.resolveLock === undefined ? {} : { resolveLock: options.resolveLock }),
  };
  let registering: Promise<{ registerEnvironment: typeof registerEnvironment }> | undefined;
  return {
    createWorkspace: (input) => createWorkspace(context, input),
    getWorkspace: (input) => getWorkspace(context, input),
    listWorkspaces: () => listWorkspaces(context),
    // Registration (definition checks, recipes, locks) loads with the first registration, once.
    registerEnvironment: async (input) =>
      (await (registering ??= import("./register-environment.js"))).registerEnvironment(
        context,
        input,
      ),
    getEnvironment: (input) => getEnvironment(context, input),
    getEnvironmentVersion: (input) => getEnvironmentVersion(context, input),
    listEnvironments: (input) => listEnvironments(context, input),
    listVersions: (input) => listVersions(context, input),
    listCurated: (input) => listCurated(context, input),
    pruneVersions: (input) => pruneVersions(context, input),
    updateVersion: (input) => updateVersion(context, input),
    setLabel: (input) => setLabel(context, input),
    removeLabel: (input) => removeLabel(context, input),
    archive: (input) => archive(context, input),
    restore: (input) => restore(context, input),
    createToken: (input) => createToken(context, input),
    listTokens: (input) => listTokens(context, input),
    revokeToken: (input) => revokeToken(context, input),
    verifyToken: (secret) => verifyToken(context, secret),
  };
}
