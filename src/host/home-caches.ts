/**
 * The caches under `$ENVFORGE_HOME/cache`, one name each, so every cache's user and `envforge
 * gc`, which trims them, find the same folder.
 */
import { join } from "node:path";

export type HomeCache = "pkgs" | "layers" | "repodata" | "sboms" | "interpreters";

/** The folder of one cache under the home. */
export function homeCacheDir(home: string, cache: HomeCache): string {
  return join(home, "cache", cache);
}

/**
 * Caches that remember one small answer per file (which SBOM an image has, a pinned base
 * image's python): asked again when a file is gone, so gc removes them by age alone.
 */
export const ANSWER_CACHES = ["sboms", "interpreters"] as const satisfies readonly HomeCache[];
