export { Environment, DockerSection } from "./environment.js";
export type { PythonSection, DependencyFiles, RecipeRequest } from "./environment.js";
export { CondaDependencies } from "../conda/conda-dependencies.js";
export type { Definition, ParseSettings } from "../spec/definition.js";
export type { Recipe } from "../recipe/index.js";
export type { Lock } from "../spec/lock.js";
export * from "../errors/errors.js";
