/**
 * `getImageDetails()`: the image a version names and the ingredients of its build, before any
 * build exists (ARCHITECTURE.md, Ingredients). Pure: a version in, data out. The digest (or the
 * local image id) and `existsInRegistry` are filled once builds exist; until then they say "not
 * built".
 */
import { makeRecipe } from "../recipe/index.js";
import type { PythonEnvironment } from "../recipe/index.js";
import { imageName, registryHostOf } from "../definition/image-hash.js";
import type { Lock } from "../definition/lock.js";
import type { EnvironmentVersion } from "./index.js";
import type { Build } from "./build-api.js";

export interface ImageDetails {
  readonly workspace: string;
  readonly name: string;
  readonly version: number;
  readonly definitionHash: string;
  readonly imageHash: string;
  /**
   * `<registry>/envforge_<32 hex>` (or `envforge/envforge_<32 hex>` with no registry), its
   * registry host, where it is kept, and once built the registry digest or the local image id.
   */
  readonly image: Build["image"];
  readonly existsInRegistry: boolean;
  /**
   * The SBOM attached to the pushed image (its document's blob digest and media type), read from
   * the registry by the image's digest; null when none is attached, the image is not in a
   * registry, or the registry could not be asked.
   */
  readonly sbom: SbomInfo | null;
  readonly ingredients: {
    readonly dockerfile: string;
    readonly condaSpecification: string | null;
    readonly lock: Lock | null;
    readonly pipRequirements: string | null;
  };
  readonly pythonEnvironment: PythonEnvironment;
}

export interface SbomInfo {
  readonly digest: string;
  readonly mediaType: string;
}

export function imageDetailsOf(
  version: EnvironmentVersion,
  options: { readonly registry?: string } = {},
): ImageDetails {
  const recipe = makeRecipe(version.definition, {
    definitionHash: version.definitionHash,
    ...(version.lock === undefined ? {} : { lock: version.lock }),
  });
  const registry =
    options.registry === undefined || options.registry === "" ? null : options.registry;
  return {
    workspace: version.workspace,
    name: version.name,
    version: version.version,
    definitionHash: recipe.definitionHash,
    imageHash: recipe.imageHash,
    image: {
      name: imageName({ imageHash: recipe.imageHash, ...(registry === null ? {} : { registry }) }),
      registry: registry === null ? null : registryHostOf(registry),
      // Where a build made now would keep it.
      location: registry === null ? "local-engine" : "registry",
      digest: null,
      id: null,
    },
    existsInRegistry: false,
    sbom: null,
    ingredients: {
      dockerfile: recipe.dockerfile,
      condaSpecification: recipe.condaSpecification ?? null,
      lock: version.lock ?? null,
      pipRequirements: recipe.pipRequirements ?? null,
    },
    pythonEnvironment: recipe.pythonEnvironment,
  };
}

/** What the newest succeeded build of an image recorded about it. */
export type BuiltImage = Build["image"];

export type FindBuiltImage = (imageHash: string) => Promise<BuiltImage | undefined>;

/** The SBOM attached to a pushed image (`registry/repository` at `digest`), or null. */
export type FindSbom = (image: string, digest: string) => Promise<SbomInfo | null>;

/**
 * imageDetailsOf, completed by the image's newest succeeded build: where it kept the image (the
 * registry with its digest, or the local engine with its image id), existsInRegistry (a
 * succeeded build with a registry ends with the push; a local one never pushes), and the SBOM
 * attached to a pushed image.
 */
export async function imageDetailsWithBuild(
  version: EnvironmentVersion,
  options: {
    readonly registry?: string;
    readonly findBuiltImage?: FindBuiltImage;
    readonly findSbom?: FindSbom;
  },
): Promise<ImageDetails> {
  const details = imageDetailsOf(
    version,
    options.registry === undefined ? {} : { registry: options.registry },
  );
  const built = await options.findBuiltImage?.(details.imageHash);
  if (built === undefined) return details;
  if (built.location === "local-engine") {
    return built.id === null ? details : { ...details, image: { ...built } };
  }
  if (built.digest === null) return details;
  const sbom = (await options.findSbom?.(built.name, built.digest)) ?? null;
  return { ...details, image: { ...built }, existsInRegistry: true, sbom };
}
