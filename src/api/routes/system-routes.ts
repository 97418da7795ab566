/** Health, Prometheus metrics and the OpenAPI document: public, so probes need no token. */
import type { RouteDeps, ZodApp } from "../route-deps.js";
import { healthSchema } from "../schemas.js";

export function registerSystemRoutes(
  app: ZodApp,
  deps: RouteDeps & { readonly storeKind: string },
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
    "/metrics",
    { config: { access }, schema: { summary: "Prometheus metrics", hide: true } },
    async (_request, reply) => {
      const text = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(text);
    },
  );
  app.get("/openapi.json", { config: { access }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
}
