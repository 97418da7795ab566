/** Health, readiness, Prometheus metrics and the OpenAPI document: public, so probes need no token. */
import * as z from "zod";
import type { BuildQueue } from "../../builders/queue/build-queue.js";
import { PROBLEM_CONTENT_TYPE, problemType } from "../problem.js";
import type { RouteDeps, ZodApp } from "../route-deps.js";
import { healthSchema, problemSchema, readySchema } from "../schemas.js";

/** A readiness check that has not answered in this time has failed: a probe must not hang. */
const READY_TIMEOUT_MS = 2000;

export function registerSystemRoutes(
  app: ZodApp,
  deps: RouteDeps & { readonly storeKind: string; readonly queue?: BuildQueue },
): void {
  const access = { scope: "public" } as const;
  app.get(
    "/healthz",
    {
      config: { access },
      schema: {
        summary: "Liveness and store check (no token needed)",
        security: [],
        response: { 200: healthSchema },
      },
    },
    async () => {
      // A read proves the store answers, not only that the process runs.
      await deps.service.listWorkspaces();
      return { status: "ok" as const, store: deps.storeKind };
    },
  );
  app.get(
    "/readyz",
    {
      config: { access },
      schema: {
        summary:
          "Readiness: the store and the build queue answer (200), or 503 problem+json naming what does not (no token needed)",
        security: [],
        response: { 200: readySchema, 503: problemSchema },
      },
    },
    async (request, reply) => {
      const checks = {
        store: () => deps.service.listWorkspaces().then(() => undefined),
        queue: () => (deps.queue === undefined ? Promise.resolve() : deps.queue.ready()),
      };
      const failed: string[] = [];
      await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          const problem = await withDeadline(check(), READY_TIMEOUT_MS);
          if (problem !== undefined) failed.push(`${name}: ${problem}`);
        }),
      );
      if (failed.length === 0) {
        return {
          status: "ready" as const,
          store: deps.storeKind,
          queue: deps.queue?.kind ?? "none",
        };
      }
      request.log.warn({ failed }, "not ready");
      return reply
        .code(503)
        .type(PROBLEM_CONTENT_TYPE)
        .send({
          type: problemType("not-ready"),
          title: "Not ready",
          status: 503,
          detail: `not ready: ${failed.sort().join("; ")}`,
          instance: "/readyz",
          error: "not-ready",
        });
    },
  );
  app.get(
    "/metrics",
    {
      config: { access },
      schema: {
        summary:
          "Prometheus metrics (text format): HTTP requests, registrations, builds and jobs by state, build queue depth, build and job durations, process defaults (no token needed)",
        security: [],
        produces: ["text/plain"],
        response: { 200: z.string().describe("Prometheus text exposition format 0.0.4") },
      },
    },
    async (_request, reply) => {
      await deps.metrics.refresh();
      const text = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(text);
    },
  );
  app.get("/openapi.json", { config: { access }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
}

/** Undefined when `work` resolved within `ms`; else why not (its error, or the deadline). */
async function withDeadline(work: Promise<void>, ms: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${ms / 1000} s`), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
