/**
 * The builder when none is named: native for every definition it can build, the Docker engine
 * for the rest (a user Dockerfile or build context, apt packages, pip run in the image). The
 * Docker builder is made on first use, so a native build needs no engine unless it keeps the
 * image in one.
 */
import { makeRecipe } from "../../recipe/index.js";
import type { BuildOutcome, BuildRequest, ImageBuilder } from "../image-builder.js";
import { nativeBuildProblems } from "./native-support.js";

export class AutoBuilder implements ImageBuilder {
  readonly #native: ImageBuilder;
  readonly #docker: () => ImageBuilder;

  constructor(options: { readonly native: ImageBuilder; readonly docker: () => ImageBuilder }) {
    this.#native = options.native;
    this.#docker = options.docker;
  }

  build(request: BuildRequest): Promise<BuildOutcome> {
    const native = nativeCanBuild(request);
    request.onLog?.({
      stream: "envforge",
      text: native
        ? "builder: native (the default for what it can build)"
        : "builder: docker (the native builder cannot build this definition)",
    });
    return native ? this.#native.build(request) : this.#docker().build(request);
  }
}

export function nativeCanBuild(
  request: Pick<BuildRequest, "definition" | "definitionHash" | "lock">,
): boolean {
  const recipe = makeRecipe(request.definition, {
    definitionHash: request.definitionHash,
    ...(request.lock === undefined ? {} : { lock: request.lock }),
  });
  return nativeBuildProblems(request.definition, request.lock, recipe).length === 0;
}
