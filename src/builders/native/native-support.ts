/**
 * What the native builder can build, decided before anything is queued: an image base named
 * with its registry (no user Dockerfile or build context, whose RUN steps need an engine), no apt packages (installed by
 * apt-get in the image), and every conda and pip package from the lock (pip run in the image
 * needs an engine too). A lock of several platforms (an image index) holds conda content only,
 * for Linux platforms with a Docker name. Pure: a definition and its lock in, the problems out.
 */
import type { Definition } from "../../definition/definition.js";
import type { Lock } from "../../definition/lock.js";
import { formatImageReference } from "../../definition/image-reference.js";
import { redactUrl } from "../../definition/pip-requirements.js";
import { isVcsPipLine } from "../../definition/vcs-pins.js";
import type { Problem } from "../../errors/index.js";
import { DOCKER_PLATFORMS } from "../../recipe/index.js";
import type { Recipe } from "../../recipe/index.js";
import { lockPlatforms } from "./platform-groups.js";

const USE_DOCKER = "ENVFORGE_BUILDER=docker (or --builder docker)";

/** Why the native builder cannot build this definition; empty when it can. */
export function nativeBuildProblems(
  definition: Definition,
  lock: Lock | undefined,
  recipe: Pick<Recipe, "packageGroups" | "pipLayers" | "pipRequirements">,
): Problem[] {
  const problems: Problem[] = [];
  if (definition.base.kind !== "image") {
    problems.push({
      key: definition.base.kind === "build" ? "build" : "dockerfile",
      message: `the native builder places files and runs nothing, so a user Dockerfile's steps need the Docker builder: ${USE_DOCKER}`,
      found: definition.base.kind === "build" ? "a build context" : "a Dockerfile",
      allowed: "an image base",
    });
  }
  if (definition.base.kind === "image" && definition.base.image.registry === undefined) {
    // The Docker engine resolves such a name (Docker Hub) and may hold it already; the native
    // builder reads the base's manifest from a registry it can name.
    problems.push({
      key: "image",
      message: `the native builder reads the base image from its registry, and this name has none: name the registry (e.g. 127.0.0.1:5000/envforge/debian:bookworm, ENVFORGE_BASE_IMAGE for the default) or use ${USE_DOCKER}`,
      found: JSON.stringify(formatImageReference(definition.base.image)),
      allowed: "registry[:port]/repository[:tag][@digest]",
    });
  }
  if (definition.apt.length > 0) {
    problems.push({
      key: "apt",
      message: `apt packages are installed by apt-get in the image, which the native builder does not run: ${USE_DOCKER}`,
      found: definition.apt.join(", "),
      allowed: "no apt packages",
    });
  }
  if (recipe.packageGroups.length > 0 && lock === undefined) {
    problems.push({
      key: "lock",
      message: "the native builder places the lock's conda packages; resolve the definition first",
      found: "no lock",
      allowed: "a lock made by `envforge lock` or at registration",
    });
  }
  const vcs = [
    ...(definition.pip?.requirements ?? [])
      .filter((r) => r.vcs !== undefined)
      .map((r) => r.requirement),
    // `-e git+…` of a conda pip: list too (definition/vcs-pins.ts reads them as pip does).
    ...(definition.conda?.pip ?? []).filter(isVcsPipLine),
  ];
  if (vcs.length > 0) {
    problems.push({
      key: "pip",
      message: `VCS requirements are built from their source at the locked commit, which the native builder does not do: ${USE_DOCKER}`,
      found: vcs.map((line) => JSON.stringify(redactUrl(line))).join(", "),
      allowed: "requirements from an index (wheels)",
    });
  }
  if (recipe.pipRequirements !== undefined && recipe.pipLayers.length === 0) {
    problems.push({
      key: "pip",
      message: `without a locked conda python to install for, pip runs in the image, which the native builder does not do: ${USE_DOCKER}`,
      found: "pip requirements installed by pip in the image",
      allowed: "pip requirements locked for a conda python",
    });
  }
  const platforms = lockPlatforms(lock);
  if (platforms.length > 1) {
    if (recipe.pipRequirements !== undefined) {
      problems.push({
        key: "pip",
        message: `a lock of several platforms (${platforms.join(", ")}) is built natively as conda content only: its pip wheels are locked for ${definition.platform} alone (the Docker builder builds ${definition.platform} only)`,
        found: "pip requirements",
        allowed: "no pip requirements, or a lock of one platform",
      });
    }
    const unknown = platforms.filter((p) => DOCKER_PLATFORMS[p] === undefined);
    if (unknown.length > 0) {
      problems.push({
        key: "platforms",
        message: "the lock holds a platform no Linux image is made for",
        found: unknown.join(", "),
        allowed: Object.keys(DOCKER_PLATFORMS).join(", "),
      });
    }
    if (!platforms.includes(definition.platform)) {
      problems.push({
        key: "platforms",
        message: `the lock does not hold the definition's platform ${definition.platform}`,
        found: platforms.join(", "),
        allowed: `a lock that holds ${definition.platform}`,
      });
    }
  }
  return problems;
}
