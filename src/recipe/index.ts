export {
  makeRecipe,
  DOCKERFILE_PATH,
  GENERATED_DIRECTORY,
  LAYERS_BASE_ARGUMENT,
} from "./make-recipe.js";
export { definitionRecipeProblems } from "./check-input.js";
export { pipNetrc, PIP_NETRC_SECRET } from "./pip-netrc.js";
export { packageGroups, bucketOf, PREFIX_DIRECTORY, RUNTIME_PACKAGES } from "./package-groups.js";
export { IMAGE_FILES_DIRECTORY } from "./dockerfile.js";
export { DOCKER_PLATFORMS, dockerPlatformOf } from "./docker-platform.js";
export type {
  BuildSecret,
  ContextEntry,
  ContextSource,
  GeneratedFile,
  LocalSource,
  PackageGroup,
  PipLayer,
  PipScheme,
  PythonEnvironment,
  Recipe,
  RecipeOptions,
  VcsSource,
} from "./recipe.js";
