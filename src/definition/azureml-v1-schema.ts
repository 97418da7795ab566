/**
 * What azureml-core writes in `azureml_environment.json` (Environment._serialize_to_dict and the
 * `az ml environment scaffold` template). Every section Azure ML writes is known here, so a file
 * saved by Azure loads; anything else is an unknown key and an error.
 */
import * as z from "zod";

let built: ReturnType<typeof buildSchema> | undefined;

/** The schema, built on first use (memoised): a command that reads no v1 folder never builds it. */
export function writtenAzureMlV1Schema(): ReturnType<typeof buildSchema> {
  return (built ??= buildSchema());
}

function buildSchema() {
  const scalar = z.union([z.string(), z.number(), z.boolean()]);
  return z.strictObject({
    name: z.string().min(1),
    version: z.union([z.string(), z.number()]).nullish(),
    environmentVariables: z.record(z.string(), scalar.nullable()).nullish(),
    python: z
      .strictObject({
        userManagedDependencies: z.boolean().nullish(),
        interpreterPath: z.string().nullish(),
        condaDependenciesFile: z.string().nullish(),
        baseCondaEnvironment: z.string().nullish(),
        // Present when the JSON came from _serialize_to_dict rather than save_to_directory.
        condaDependencies: z.record(z.string(), z.unknown()).nullish(),
      })
      .nullish(),
    docker: z
      .strictObject({
        enabled: z.boolean().nullish(),
        baseImage: z.string().nullish(),
        baseDockerfile: z.string().nullish(),
        buildContext: z
          .strictObject({
            locationType: z.string().nullish(),
            location: z.string().nullish(),
            dockerfilePath: z.string().nullish(),
          })
          .nullish(),
        sharedVolumes: z.boolean().nullish(),
        shmSize: z.string().nullish(),
        arguments: z.array(z.string()).nullish(),
        gpuSupport: z.boolean().nullish(),
        baseImageRegistry: z
          .strictObject({
            address: z.string().nullish(),
            username: z.string().nullish(),
            password: z.string().nullish(),
            registryIdentity: z.unknown().optional(),
          })
          .nullish(),
        platform: z
          .strictObject({
            os: z.string().nullish(),
            architecture: z.string().nullish(),
          })
          .nullish(),
      })
      .nullish(),
    spark: z
      .strictObject({
        repositories: z.array(z.unknown()).nullish(),
        packages: z.array(z.unknown()).nullish(),
        precachePackages: z.boolean().nullish(),
      })
      .nullish(),
    databricks: z
      .strictObject({
        mavenLibraries: z.array(z.unknown()).nullish(),
        pypiLibraries: z.array(z.unknown()).nullish(),
        rcranLibraries: z.array(z.unknown()).nullish(),
        jarLibraries: z.array(z.unknown()).nullish(),
        eggLibraries: z.array(z.unknown()).nullish(),
      })
      .nullish(),
    r: z.unknown().optional(),
    inferencingStackVersion: z.string().nullish(),
    assetId: z.string().nullish(),
  });
}

export type WrittenAzureMlV1 = z.infer<ReturnType<typeof buildSchema>>;
