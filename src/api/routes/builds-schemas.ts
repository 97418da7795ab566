/** Request and response shapes of the build and job routes (published in /openapi.json). */
import * as z from "zod";
import { BUILD_STATES, LOG_STREAMS } from "../../workspace/build-api.js";
import { imageSchema } from "../schemas.js";

export const buildSchema = z
  .object({
    id: z.string(),
    workspace: z.string(),
    name: z.string(),
    version: z.number().int(),
    definitionHash: z.string(),
    imageHash: z.string(),
    image: imageSchema,
    state: z.enum(BUILD_STATES),
    attempt: z.number().int(),
    maxAttempts: z.number().int(),
    timeoutMs: z.number().int(),
    cacheHit: z.boolean().nullable(),
    reason: z.string().nullable().describe("why it failed or was canceled; names the failing step"),
    failedStep: z.string().nullable(),
    workerId: z.string().nullable(),
    cancelRequested: z.boolean(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
  })
  .meta({ id: "Build" });

export const jobSchema = z
  .object({
    id: z.string(),
    workspace: z.string(),
    name: z.string(),
    version: z.number().int(),
    imageHash: z.string(),
    imageName: z.string(),
    buildId: z.string().nullable(),
    command: z.array(z.string()).readonly(),
    envKeys: z.array(z.string()).readonly().describe("names only; values are never stored"),
    workingDir: z.string().nullable(),
    network: z.enum(["none", "host"]),
    state: z.enum(BUILD_STATES),
    exitCode: z.number().int().nullable(),
    reason: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
  })
  .meta({ id: "Job" });

export const logChunkSchema = z
  .object({
    seq: z.number().int(),
    attempt: z.number().int(),
    stream: z.enum(LOG_STREAMS),
    text: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: "LogChunk" });

export const logPageSchema = z.object({ items: z.array(logChunkSchema).readonly() });

export const idParams = z.object({ workspace: z.string(), id: z.string() });

export const logQuery = z.strictObject({
  after: z.coerce.number().int().min(0).optional().describe("only chunks after this seq"),
});

export const buildListQuery = z.strictObject({
  name: z.string().optional(),
  limit: z.coerce.number().int().optional(),
  cursor: z.string().optional(),
});

export const jobListQuery = z.strictObject({
  limit: z.coerce.number().int().optional(),
  cursor: z.string().optional(),
});

export const buildBody = z
  .strictObject({
    version: z.number().int().optional(),
    label: z.string().optional(),
    timeoutSeconds: z.number().positive().optional(),
  })
  .default({});

export const jobBody = z.strictObject({
  version: z.number().int().optional(),
  label: z.string().optional(),
  command: z.array(z.string()).min(1),
  env: z.record(z.string(), z.string()).optional(),
  network: z.enum(["none", "host"]).optional(),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item).readonly(), nextCursor: z.string().optional() });
}
