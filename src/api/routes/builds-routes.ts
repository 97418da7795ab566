/**
 * Builds over HTTP: request one for a version (201 new, 200 when it joins the build under way for
 * the same image), list, show, cancel, the log as JSON pages or followed live as Server-Sent
 * Events. The same BuildService as the CLI's, so both say the same.
 */
import type { BuildQueue } from "../../builders/queue/build-queue.js";
import type { BuildService, JobService } from "../../workspace/build-api.js";
import type { JobRunner } from "../../jobs/job-runner.js";
import type { FindBuiltImage } from "../../workspace/image-details.js";
import type { RouteDeps, ZodApp } from "../route-deps.js";
import { environmentParams } from "../schemas.js";
import {
  buildBody,
  buildListQuery,
  buildSchema,
  idParams,
  logPageSchema,
  logQuery,
  pageOf,
} from "./builds-schemas.js";
import { resumeAfter, sendEvents } from "./builds-sse.js";

/** Image details report where the newest succeeded build kept the image. */
export function builtImageFinder(options: BuildRouteOptions): FindBuiltImage {
  return async (imageHash) => (await options.builds.builtImage(imageHash))?.image;
}

export interface BuildRouteOptions {
  readonly builds: BuildService;
  readonly jobs: JobService;
  /** Wakes workers when a build is queued. */
  readonly queue?: BuildQueue;
  /** Runs jobs on this server's engine; without it, POST …/jobs is not offered. */
  readonly jobRunner?: JobRunner;
  /**
   * Hand jobs to `envforge worker` processes through the store and the queue instead of running
   * them on this server's engine (a team's PostgreSQL workspace).
   */
  readonly dispatchJobs?: boolean;
}

const READ = { scope: "read", workspaceParam: true } as const;
const WRITE = { scope: "write", workspaceParam: true } as const;

export function registerBuildRoutes(app: ZodApp, deps: RouteDeps & BuildRouteOptions): void {
  const { builds } = deps;

  app.post(
    "/v1/workspaces/:workspace/environments/:name/builds",
    {
      config: { access: WRITE },
      schema: {
        summary:
          "Build a version's image (default latest): 201 with a new build, 200 with the build already under way for the same image",
        params: environmentParams,
        body: buildBody,
        response: { 200: buildSchema, 201: buildSchema },
      },
    },
    async (request, reply) => {
      const { version, label, timeoutSeconds } = request.body;
      // No registry: the server's own engine keeps the image (refused on PostgreSQL, whose
      // workers share images only through a registry).
      const { build, created } = await builds.requestBuild({
        workspace: request.params.workspace,
        name: request.params.name,
        ...(deps.registry === undefined || deps.registry === "" ? {} : { registry: deps.registry }),
        ...(version === undefined ? {} : { version }),
        ...(label === undefined ? {} : { label }),
        ...(timeoutSeconds === undefined ? {} : { timeoutMs: Math.round(timeoutSeconds * 1000) }),
      });
      if (created) await deps.queue?.notify(build.id);
      return reply.code(created ? 201 : 200).send(build);
    },
  );

  app.get(
    "/v1/workspaces/:workspace/builds",
    {
      config: { access: READ },
      schema: {
        summary: "Builds, newest first, a page at a time",
        params: idParams.pick({ workspace: true }),
        querystring: buildListQuery,
        response: { 200: pageOf(buildSchema) },
      },
    },
    async (request) =>
      builds.listBuilds({
        workspace: request.params.workspace,
        ...(request.query.name === undefined ? {} : { name: request.query.name }),
        ...(request.query.limit === undefined ? {} : { limit: request.query.limit }),
        ...(request.query.cursor === undefined ? {} : { cursor: request.query.cursor }),
      }),
  );

  app.get(
    "/v1/workspaces/:workspace/builds/:id",
    {
      config: { access: READ },
      schema: { summary: "One build", params: idParams, response: { 200: buildSchema } },
    },
    async (request) => builds.getBuild(request.params),
  );

  app.post(
    "/v1/workspaces/:workspace/builds/:id/cancel",
    {
      config: { access: WRITE },
      schema: {
        summary: "Cancel a queued build, or ask a running build's worker to stop",
        params: idParams,
        response: { 200: buildSchema },
      },
    },
    async (request) => builds.cancelBuild(request.params),
  );

  app.get(
    "/v1/workspaces/:workspace/builds/:id/logs",
    {
      config: { access: READ },
      schema: {
        summary: "A build's log chunks after `after` (up to 500)",
        params: idParams,
        querystring: logQuery,
        response: { 200: logPageSchema },
      },
    },
    async (request) => ({
      items: await builds.readBuildLog({
        ...request.params,
        ...(request.query.after === undefined ? {} : { afterSeq: request.query.after }),
      }),
    }),
  );

  app.get(
    "/v1/workspaces/:workspace/builds/:id/logs/stream",
    {
      config: { access: READ },
      schema: {
        summary:
          "Follow a build live as Server-Sent Events: `log` events (id = chunk seq; Last-Event-ID resumes) and `state` events, ending after the final state",
        params: idParams,
        querystring: logQuery,
      },
    },
    async (request, reply) => {
      // Fail before the stream starts (404, 422) so the status says it.
      await builds.getBuild(request.params);
      const afterSeq = resumeAfter(request, request.query.after);
      await sendEvents(request, reply, async function* (signal) {
        for await (const event of builds.followBuild({ ...request.params, afterSeq, signal })) {
          yield event.kind === "log"
            ? { event: "log", id: event.chunk.seq, data: event.chunk }
            : { event: "state", data: event.build };
        }
      });
    },
  );
}
