export { Environment, DockerSection } from "./environment.js";
export { Workspace } from "./workspace.js";
export type {
  EnvironmentReference,
  VersionSelector,
  WarningSink,
  WorkspaceOpenOptions,
} from "./workspace.js";
export type { BuildOptions, RunOptions } from "./workspace-endpoint.js";
export type { Build, BuildEvent, Job, LogChunk } from "../workspace/build-api.js";
export type { LockProblem, RegistrationLock } from "../workspace/lock-resolver.js";
export type { ImageDetails } from "../workspace/image-details.js";
export type { PythonSection, DependencyFiles, RecipeRequest } from "./environment.js";
export { CondaDependencies } from "../conda/conda-dependencies.js";
export type { Definition, ParseSettings } from "../definition/definition.js";
export type { Recipe } from "../recipe/index.js";
export type { Lock } from "../definition/lock.js";
export * from "../errors/errors.js";
