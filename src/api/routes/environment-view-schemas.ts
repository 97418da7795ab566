/** Schemas of the environment view and version diff routes (GET one environment, diff). */
import * as z from "zod";
import { environmentSummarySchema } from "../schemas.js";

export const environmentDetailsSchema = environmentSummarySchema
  .extend({
    labels: z.record(z.string(), z.number().int()).describe("label → version"),
    curated: z.boolean(),
  })
  .meta({ id: "EnvironmentDetails" });

const changeKind = z.enum(["added", "removed", "changed"]);
const lockedVersion = z.object({ version: z.string(), build: z.string().optional() });

export const versionDiffSchema = z
  .object({
    name: z.string(),
    from: z.number().int(),
    to: z.number().int(),
    same: z.boolean().describe("true when nothing in the definition or the lock differs"),
    definition: z
      .array(
        z.object({
          part: z.enum([
            "base",
            "channels",
            "conda",
            "pip",
            "apt",
            "variables",
            "platform",
            "python",
          ]),
          key: z.string().describe("the package, variable or setting within its part"),
          kind: changeKind,
          from: z.string().optional(),
          to: z.string().optional(),
        }),
      )
      .readonly(),
    lock: z.object({
      compared: z.boolean().describe("false when either version has no lock"),
      changes: z
        .array(
          z.object({
            manager: z
              .enum(["conda", "pip", "apt", "vcs", "image"])
              .describe(
                "vcs: a VCS requirement's commit (as version); image: a user Dockerfile's FROM (reference as name, digest as version)",
              ),
            platform: z.string().describe(`a conda subdir, or "all" for vcs and image`),
            name: z.string(),
            kind: changeKind,
            from: lockedVersion.optional(),
            to: lockedVersion.optional(),
          }),
        )
        .readonly(),
      baseImageDigest: z
        .object({ from: z.string().optional(), to: z.string().optional() })
        .optional(),
    }),
  })
  .meta({ id: "VersionDiff" });
