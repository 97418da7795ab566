/**
 * Jobs over HTTP: run a command in a version's image on this server's engine (202: the job is
 * queued; it waits for the image's build when there is none yet), list, show, logs as JSON pages
 * or followed live as Server-Sent Events. No working folder is mounted: the caller's files are
 * not on the server.
 */
import { imageHash, imageName } from "../../definition/image-hash.js";
import type { Build, Job } from "../../workspace/build-api.js";
import { jobImageOf, usableHere } from "../../jobs/job-image.js";
import { keepJobLease, processWorkerId, runJob } from "../../jobs/run-job.js";
import type { JobHolder } from "../../jobs/run-job.js";
import type { RouteDeps, ZodApp } from "../route-deps.js";
import { environmentParams } from "../schemas.js";
import type { BuildRouteOptions } from "./builds-routes.js";
import {
  idParams,
  jobBody,
  jobListQuery,
  jobSchema,
  logPageSchema,
  logQuery,
  pageOf,
} from "./builds-schemas.js";
import { resumeAfter, sendEvents } from "./builds-sse.js";

/** How often a server that runs jobs itself fails the jobs whose holder died. */
const JOB_SWEEP_MS = 10_000;

const READ = { scope: "read", workspaceParam: true } as const;
const WRITE = { scope: "write", workspaceParam: true } as const;

export function registerJobRoutes(app: ZodApp, deps: RouteDeps & BuildRouteOptions): void {
  const { jobs, builds, service } = deps;
  const runner = deps.jobRunner;
  // None: images stay in this server's engine (the build service refuses that on PostgreSQL).
  const registry = deps.registry === undefined || deps.registry === "" ? undefined : deps.registry;

  if (runner !== undefined) {
    app.post(
      "/v1/workspaces/:workspace/environments/:name/jobs",
      {
        config: { access: WRITE },
        schema: {
          summary:
            "Run a command in a version's image (default latest), on the server's engine or, with a PostgreSQL workspace, on an envforge worker; 202 with the queued job",
          params: environmentParams,
          body: jobBody,
          response: { 202: jobSchema },
        },
      },
      async (request, reply) => {
        const { workspace, name } = request.params;
        const { version, label, command, env = {}, network = "none" } = request.body;
        const found = await service.getEnvironmentVersion({
          workspace,
          name,
          ...(version === undefined ? {} : { version }),
          ...(label === undefined ? {} : { label }),
        });
        const hash = imageHash(found.definitionHash, found.lock);
        const recorded = await builds.builtImage(hash);
        // An image kept in a local engine that no longer has it is built again.
        const built =
          recorded !== undefined && (await usableHere(runner, recorded.image))
            ? recorded
            : undefined;
        const job = await jobs.createJob({
          workspace,
          name: found.name,
          version: found.version,
          imageHash: hash,
          imageName:
            built === undefined
              ? imageName({ imageHash: hash, ...(registry === undefined ? {} : { registry }) })
              : jobImageOf(built.image).image,
          ...(built === undefined ? {} : { buildId: built.id }),
          command,
          envKeys: Object.keys(env),
          network,
        });
        // The job runs after the answer; its record says how it went.
        void runWhenBuilt({ job, built, env }).catch((error: unknown) => {
          request.log.error({ err: error, job: job.id }, "job failed to run");
        });
        return reply.code(202).send(job);
      },
    );
  }

  // This server holds each job it builds for, and runs, under a lease (run-job.ts): a server
  // that dies leaves jobs that fail when their leases end, swept here and by workers.
  const holder: JobHolder = {
    workerId: processWorkerId(),
    report: (line) => app.log.warn(line),
  };
  if (runner !== undefined) {
    const sweeper = setInterval(() => {
      jobs.expireJobLeases().catch((error: unknown) => {
        app.log.warn({ err: error }, "sweeping job leases failed");
      });
    }, JOB_SWEEP_MS);
    sweeper.unref();
    app.addHook("onClose", async () => clearInterval(sweeper));
  }

  async function runWhenBuilt(input: {
    readonly job: Job;
    readonly built: Build | undefined;
    readonly env: Readonly<Record<string, string>>;
  }): Promise<void> {
    const lease = await keepJobLease(jobs, input.job, holder);
    try {
      await buildThenRun(input);
    } finally {
      await lease.stop();
    }
  }

  async function buildThenRun(input: {
    readonly job: Job;
    readonly built: Build | undefined;
    readonly env: Readonly<Record<string, string>>;
  }): Promise<void> {
    const { job } = input;
    let built = input.built;
    if (built === undefined) {
      const { build, created } = await builds.requestBuild({
        workspace: job.workspace,
        name: job.name,
        version: job.version,
        ...(registry === undefined ? {} : { registry }),
      });
      if (created) await deps.queue?.notify(build.id);
      let last: Build | undefined;
      for await (const event of builds.followBuild({ workspace: job.workspace, id: build.id })) {
        if (event.kind === "state") last = event.build;
      }
      if (last?.state !== "succeeded") {
        await jobs.finishJob({
          id: job.id,
          state: "failed",
          exitCode: null,
          reason: `build ${build.id} ${last?.state ?? "vanished"}: ${last?.reason ?? ""}`,
        });
        return;
      }
      built = last;
    }
    if (deps.dispatchJobs === true) {
      // Offering ends this server's hold (a renewal after it finds the job no longer held); a
      // worker takes it under its own lease, and the queue only wakes workers sooner than a poll.
      await jobs.offerJob({
        id: job.id,
        ...jobImageOf(built.image),
        buildId: built.id,
        env: input.env,
      });
      await deps.queue?.notify(`job:${job.id}`);
      return;
    }
    if (runner === undefined) return;
    await runJob({
      jobs,
      runner,
      job,
      buildId: built.id,
      request: { ...jobImageOf(built.image), env: input.env, mounts: [] },
    });
  }

  app.get(
    "/v1/workspaces/:workspace/jobs",
    {
      config: { access: READ },
      schema: {
        summary: "Jobs, newest first, a page at a time",
        params: idParams.pick({ workspace: true }),
        querystring: jobListQuery,
        response: { 200: pageOf(jobSchema) },
      },
    },
    async (request) =>
      jobs.listJobs({
        workspace: request.params.workspace,
        ...(request.query.limit === undefined ? {} : { limit: request.query.limit }),
        ...(request.query.cursor === undefined ? {} : { cursor: request.query.cursor }),
      }),
  );

  app.get(
    "/v1/workspaces/:workspace/jobs/:id",
    {
      config: { access: READ },
      schema: { summary: "One job", params: idParams, response: { 200: jobSchema } },
    },
    async (request) => jobs.getJob(request.params),
  );

  app.get(
    "/v1/workspaces/:workspace/jobs/:id/logs",
    {
      config: { access: READ },
      schema: {
        summary: "A job's output chunks after `after` (up to 500)",
        params: idParams,
        querystring: logQuery,
        response: { 200: logPageSchema },
      },
    },
    async (request) => ({
      items: await jobs.readJobLog({
        ...request.params,
        ...(request.query.after === undefined ? {} : { afterSeq: request.query.after }),
      }),
    }),
  );

  app.get(
    "/v1/workspaces/:workspace/jobs/:id/logs/stream",
    {
      config: { access: READ },
      schema: {
        summary: "Follow a job's output live as Server-Sent Events (as for builds)",
        params: idParams,
        querystring: logQuery,
      },
    },
    async (request, reply) => {
      await jobs.getJob(request.params);
      const afterSeq = resumeAfter(request, request.query.after);
      await sendEvents(request, reply, async function* (signal) {
        for await (const event of jobs.followJob({ ...request.params, afterSeq, signal })) {
          yield event.kind === "log"
            ? { event: "log", id: event.chunk.seq, data: event.chunk }
            : { event: "state", data: event.job };
        }
      });
    },
  );
}
