/**
 * The HTTP API's composition: fastify with zod validation, the access hook, problem+JSON
 * errors, metrics, the OpenAPI document and the routes. Everything it acts on is passed in
 * (the service, settings, a log stream), so tests build it on any store they like.
 */
import fastifySwagger from "@fastify/swagger";
import type { Socket } from "node:net";
import Fastify from "fastify";
import type { FastifyError, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from "fastify-type-provider-zod";
import { EnvforgeError } from "../errors/index.js";
import type { ParseSettings } from "../definition/definition.js";
import type { EnvironmentService } from "../workspace/index.js";
import type { FindSbom } from "../workspace/image-details.js";
import { accessHook } from "./access.js";
import { browserGuard } from "./browser-guard.js";
import { useJsonBodyParser } from "./json-body.js";
import { createApiMetrics } from "./metrics.js";
import { createParsePool } from "./parse-pool.js";
import type { RouteDeps, ZodApp } from "./route-deps.js";
import { PROBLEM_CONTENT_TYPE, problemOf, requestProblem } from "./problem.js";
import { registerEnvironmentRoutes } from "./routes/environment-routes.js";
import { registerEnvironmentViewRoutes } from "./routes/environment-view-routes.js";
import { registerSessionRoutes } from "./routes/session-routes.js";
import type { WebUiOptions } from "./web-ui.js";
import { registerWebUi } from "./web-ui.js";
import type { BuildRouteOptions } from "./routes/builds-routes.js";
import { builtImageFinder, registerBuildRoutes } from "./routes/builds-routes.js";
import { registerJobRoutes } from "./routes/jobs-routes.js";
import { registerSystemRoutes } from "./routes/system-routes.js";
import { registerTokenRoutes } from "./routes/token-routes.js";
import { REGISTRATION_OFF_THREAD_BYTES, registerVersionRoutes } from "./routes/version-routes.js";
import { registerWorkspaceRoutes } from "./routes/workspace-routes.js";

/** Uploads larger than this are refused with 413 before they are parsed. */
export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

/** Headers that carry secrets; pino replaces them in every log line. */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'res.headers["set-cookie"]',
];

export interface ApiAppOptions {
  readonly service: EnvironmentService;
  /** `sqlite` or `postgres`: a label on metrics and /healthz. */
  readonly storeKind: string;
  /** Require API tokens. */
  readonly auth: boolean;
  /** How uploaded definitions are read (default base image, python, platform). */
  readonly settings: ParseSettings;
  /** Registry host[:port] that image names are given under. */
  readonly registry?: string;
  readonly bodyLimit?: number;
  /** Where JSON log lines go; default none. */
  readonly log?: { readonly stream: NodeJS.WritableStream; readonly level?: string };
  /** envforge's version, shown in the OpenAPI document. */
  readonly version?: string;
  /** Builds and jobs (their routes are offered when given). */
  readonly builds?: BuildRouteOptions;
  /** Image details say whether a pushed image has an SBOM attached (asked of the registry). */
  readonly findSbom?: FindSbom;
  /** The web UI at `/` (default: dist/web/ when it is built); false: none. */
  readonly webUi?: WebUiOptions | false;
  /**
   * Names the server is reached by besides loopback ones (`--public-host`); with them, or
   * without auth, any other `Host` is refused (DNS rebinding).
   */
  readonly publicHosts?: readonly string[];
  /**
   * Reading request bodies off the event loop (parse-pool.ts): registration bodies above
   * `registrationBytes` (default REGISTRATION_OFF_THREAD_BYTES) and JSON bodies above 256 KiB
   * go to `threads` worker threads (default: one per core but one, at most 4).
   */
  readonly parsing?: { readonly threads?: number; readonly registrationBytes?: number };
}

/**
 * Longest path parameter: above the name limit (255), so a long name gets the same 422 as in
 * the CLI rather than fastify's bare 414.
 */
export const MAX_PARAM_LENGTH = 1024;

function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // After an answer on this connection (say a 415 before an unread chunked body), what follows
  // is the rest of that request, not a new one: close rather than answer twice.
  if (error.code === "ECONNRESET" || !socket.writable || socket.bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
  const title = status === 431 ? "Request header fields too large" : "Bad request";
  const body = JSON.stringify({
    type: "urn:envforge:problem:bad-request",
    title,
    status,
    detail: "the request is not valid HTTP/1.1",
    error: "bad-request",
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function sendFrameworkError(
  error: FastifyError,
  url: string,
  reply: Pick<FastifyReply, "code" | "type" | "send">,
): void {
  const instance = url.split("?")[0] ?? url;
  const body = requestProblem(error, instance) ?? problemOf(error, instance);
  reply.code(body.status);
  reply.type(PROBLEM_CONTENT_TYPE);
  void reply.send(body);
}

export async function buildApiApp(options: ApiAppOptions): Promise<ZodApp> {
  const app: ZodApp = Fastify({
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Bytes that are not an HTTP request (Node's parser refused them): problem+json too.
    clientErrorHandler: answerClientError,
    // A path fastify cannot route (bad %-encoding, a parameter over the limit): problem+json too.
    frameworkErrors: (error, request, reply) => {
      sendFrameworkError(error, request.url, reply);
    },
    logger:
      options.log === undefined
        ? false
        : {
            level: options.log.level ?? "info",
            stream: options.log.stream,
            redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
          },
  }).withTypeProvider<ZodTypeProvider>();

  const parsePool = createParsePool(
    options.parsing?.threads === undefined ? {} : { threads: options.parsing.threads },
  );
  app.addHook("onClose", async () => parsePool.close());
  useJsonBodyParser(app, parsePool);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const metrics = createApiMetrics({
    store: options.storeKind,
    ...(options.builds === undefined ? {} : { runs: options.builds.builds }),
  });
  app.addHook(
    "onRequest",
    browserGuard({ publicHosts: options.publicHosts ?? [], requireKnownHost: !options.auth }),
  );
  app.addHook("onRequest", accessHook({ service: options.service, auth: options.auth }));
  app.addHook("onResponse", async (request, reply) => {
    metrics.observeRequest({
      method: request.method,
      route: request.routeOptions.url ?? "unmatched",
      status: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
    });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const instance = request.url.split("?")[0] ?? request.url;
    const body =
      error instanceof EnvforgeError
        ? problemOf(error, instance)
        : (requestProblem(error, instance) ?? problemOf(error, instance));
    if (body.status >= 500) request.log.error({ err: error }, "request failed");
    return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const instance = request.url.split("?")[0] ?? request.url;
    return reply
      .code(404)
      .type(PROBLEM_CONTENT_TYPE)
      .send({
        type: "urn:envforge:problem:not-found",
        title: "Not found",
        status: 404,
        detail: `no route ${request.method} ${instance}; /openapi.json lists them`,
        instance,
        error: "not-found",
      });
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "envforge API",
        description:
          "Workspaces, environments and their versions. Errors are application/problem+json (RFC 9457): 400 for a request this route does not take, 422 for invalid content, 413 for a body over the limit (16 MiB by default). See docs/api.md.",
        version: options.version ?? "0.0.0",
      },
      components: {
        securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "efk_…" } },
      },
      ...(options.auth ? { security: [{ bearer: [] }] } : {}),
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  const deps: RouteDeps = {
    service: options.service,
    settings: options.settings,
    metrics,
    auth: options.auth,
    parsePool,
    registrationOffThreadBytes: options.parsing?.registrationBytes ?? REGISTRATION_OFF_THREAD_BYTES,
    ...(options.registry === undefined ? {} : { registry: options.registry }),
    ...(options.builds === undefined ? {} : { findBuiltImage: builtImageFinder(options.builds) }),
    ...(options.findSbom === undefined ? {} : { findSbom: options.findSbom }),
  };
  registerSystemRoutes(app, {
    ...deps,
    storeKind: options.storeKind,
    ...(options.builds?.queue === undefined ? {} : { queue: options.builds.queue }),
  });
  registerWorkspaceRoutes(app, deps);
  registerEnvironmentRoutes(app, deps);
  registerEnvironmentViewRoutes(app, deps);
  registerVersionRoutes(app, deps);
  registerSessionRoutes(app, deps);
  registerTokenRoutes(app, deps);
  if (options.builds !== undefined) registerBuildRoutes(app, { ...deps, ...options.builds });
  if (options.builds !== undefined) registerJobRoutes(app, { ...deps, ...options.builds });
  if (options.webUi !== false) await registerWebUi(app, options.webUi);
  await app.ready();
  return app;
}
