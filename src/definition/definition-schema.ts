/**
 * What a user may write in envforge.yaml: the Azure ML CLI v2 environment YAML
 * (reference-yaml-environment) plus envforge's `pip`, `apt`, `variables`, `platform` and
 * `python`. Validation and the published JSON Schema (schema/envforge.schema.json) both come
 * from this one zod schema, so they cannot drift apart.
 */
import * as z from "zod";
import { PLATFORMS } from "./definition-rules.js";

/** Azure's v2 schema keys; an envforge.yaml that uses only these is also a valid Azure file. */
export const AZUREML_V2_KEYS = [
  "$schema",
  "name",
  "version",
  "description",
  "tags",
  "image",
  "conda_file",
  "build",
  "os_type",
  "inference_config",
] as const;

/** Keys only envforge understands. */
export const ENVFORGE_ONLY_KEYS = ["pip", "apt", "variables", "platform", "python"] as const;

let built: ReturnType<typeof buildSchema> | undefined;

/**
 * The schema, built on first use (memoised): a command that reads no envforge.yaml or Azure v2
 * file (hash of a conda file, env list) never builds it.
 */
export function writtenEnvforgeFileSchema(): ReturnType<typeof buildSchema> {
  return (built ??= buildSchema());
}

function buildSchema() {
  const scalar = z.union([z.string(), z.number(), z.boolean()]);
  const route = z.strictObject({
    port: z.number().int(),
    path: z.string(),
  });
  return z
    .strictObject({
      $schema: z.string().optional().meta({ description: "The JSON Schema this file follows." }),
      name: z.string().min(1).optional().meta({ description: "Environment name." }),
      version: z.union([z.string(), z.number()]).optional().meta({
        description: "Environment version; omitted: the next one is given at registration.",
      }),
      description: z.string().optional(),
      tags: z.record(z.string(), scalar).optional().meta({ description: "Free-form tags." }),
      image: z.string().optional().meta({
        description: "Base image, `[registry/]repository[:tag][@digest]`. Give image or build.",
      }),
      conda_file: z
        .union([z.string(), z.record(z.string(), z.unknown())])
        .optional()
        .meta({
          description:
            "Conda environment file (path relative to this file) or its content inline. Only with image.",
        }),
      build: z
        .strictObject({
          path: z.string().meta({ description: "Build context folder, relative to this file." }),
          dockerfile_path: z
            .string()
            .optional()
            .meta({ description: "Dockerfile path inside the context (default `Dockerfile`)." }),
        })
        .optional()
        .meta({ description: "A Docker build context. Give image or build." }),
      os_type: z
        .enum(["linux", "Linux", "windows", "Windows"])
        .optional()
        .meta({ description: "Only linux is supported." }),
      inference_config: z
        .strictObject({
          liveness_route: route,
          readiness_route: route,
          scoring_route: route,
        })
        .optional()
        .meta({ description: "Accepted for Azure ML compatibility and ignored." }),
      pip: z.array(z.string()).optional().meta({
        description: "pip requirement lines and options (`--index-url`, `--hash`, ...).",
      }),
      apt: z
        .array(z.string())
        .optional()
        .meta({ description: "Debian packages, `name` or `name=version`." }),
      variables: z
        .record(z.string(), scalar)
        .optional()
        .meta({ description: "Environment variables set in the image." }),
      platform: z.enum(PLATFORMS).optional().meta({ description: "Conda subdir of the target." }),
      python: z
        .strictObject({
          user_managed_dependencies: z
            .boolean()
            .optional()
            .meta({ description: "True: use the image's Python as it is; no conda env is made." }),
          interpreter_path: z.string().optional(),
        })
        .optional(),
    })
    .meta({
      title: "envforge environment",
      description:
        "An envforge environment definition: the Azure ML CLI v2 environment YAML plus pip, apt, variables, platform and python.",
    });
}

export type WrittenEnvforgeFile = z.infer<ReturnType<typeof buildSchema>>;

/** The JSON Schema (draft 2020-12) of envforge.yaml, for editors. */
export function envforgeFileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(writtenEnvforgeFileSchema(), { target: "draft-2020-12" });
}
