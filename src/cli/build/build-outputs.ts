/**
 * `env build --builder NAME` and `--output KIND:PATH` (repeatable): `oci:DIR` writes an OCI
 * image-layout folder, `docker-archive:FILE` a `docker load` tarball. Outputs are the native
 * builder's, so `--output` builds natively (`--builder docker` with it is refused).
 */
import { resolve } from "node:path";
import type { NativeOutputs } from "../../builders/native/native-builder.js";
import { ValidationError } from "../../errors/index.js";
import type { Problem } from "../../errors/index.js";
import type { SurfaceSettings } from "../../host/config.js";
import { BUILDER_NAMES, isBuilderName } from "../../host/config.js";

export const OUTPUT_GRAMMAR = "oci:DIR or docker-archive:FILE";

export function parseOutputs(values: readonly string[], cwd: string): NativeOutputs | undefined {
  if (values.length === 0) return undefined;
  const problems: Problem[] = [];
  let ociLayout: string | undefined;
  let dockerArchive: string | undefined;
  for (const value of values) {
    const match = /^(oci|docker-archive):(.+)$/.exec(value);
    if (match?.[1] === undefined || match[2] === undefined) {
      problems.push({
        key: "--output",
        message: "is not an output",
        found: JSON.stringify(value),
        allowed: OUTPUT_GRAMMAR,
      });
    } else if (match[1] === "oci") {
      ociLayout = resolve(cwd, match[2]);
    } else {
      dockerArchive = resolve(cwd, match[2]);
    }
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return {
    ...(ociLayout === undefined ? {} : { ociLayout }),
    ...(dockerArchive === undefined ? {} : { dockerArchive }),
  };
}

/** The settings with `--builder` applied; `--output` needs the native builder. */
export function withBuilder(
  settings: SurfaceSettings,
  builder: string | undefined,
  outputs: NativeOutputs | undefined,
): SurfaceSettings {
  if (builder !== undefined && !isBuilderName(builder)) {
    throw ValidationError.single({
      key: "--builder",
      message: "unknown image builder",
      found: JSON.stringify(builder),
      allowed: BUILDER_NAMES.join(", "),
    });
  }
  const chosen = builder ?? (outputs === undefined ? undefined : "native");
  if (outputs !== undefined && chosen !== "native") {
    throw ValidationError.single({
      key: "--output",
      message: "outputs are written by the native builder",
      found: `--builder ${chosen ?? ""}`,
      allowed: "--builder native (or no --builder)",
    });
  }
  if (chosen === undefined) return settings;
  return {
    env: { ...settings.env, ENVFORGE_BUILDER: chosen },
    config: { ...settings.config, builder: chosen },
  };
}
