export * from "./model.js";
export type { Clock, NewId } from "./clock.js";
export { systemClock, randomId } from "./clock.js";
export type { WorkspaceStore } from "./store.js";
export * from "./environment-service.js";
export type { RegisterEnvironmentInput, RegisterResult } from "./register-environment.js";
export type {
  PruneVersionsInput,
  PruneVersionsResult,
  RetentionPolicy,
  VersionVerdict,
} from "./prune-versions.js";
export type { ContextContent } from "./context-content.js";
export type {
  GetEnvironmentVersionInput,
  ListEnvironmentsInput,
  ListVersionsInput,
} from "./read-environments.js";
export { DEFAULT_PAGE_SIZE } from "./read-environments.js";
export type {
  ArchiveInput,
  RemoveLabelInput,
  SetLabelInput,
  UpdateVersionInput,
} from "./change-environment.js";
export { UPDATABLE_FIELDS } from "./change-environment.js";
export type { CreatedToken, CreateTokenInput } from "./api-tokens.js";
export type { CreateWorkspaceInput } from "./workspaces.js";
export type {
  CuratedCatalog,
  CuratedEnvironment,
  LoadCuratedDefinition,
} from "./curated-catalog.js";
export {
  CURATED_FOLDER,
  folderCuratedCatalog,
  NO_CURATED,
  selfContainedLoader,
  shippedCuratedCatalog,
} from "./curated-catalog.js";
export {
  DATABASE_URL_VARIABLE,
  openWorkspaceStore,
  SQLITE_FILE_NAME,
} from "./open-workspace-store.js";
export type { OpenWorkspaceStoreOptions, StoreSettings } from "./open-workspace-store.js";
export { openSqliteStore, openPostgresStore } from "./open-store-driver.js";
export { openEnvironmentService } from "./open-environment-service.js";
export type { OpenedEnvironmentService } from "./open-environment-service.js";
export {
  LABEL_PATTERN,
  MAX_PAGE_SIZE,
  MAX_VERSION,
  NAME_PATTERN,
  isReservedName,
} from "./validation.js";
