/**
 * Reading an environment as a page shows it: the environment with its labels, its latest
 * version (and that version's image details) by the word `latest`, and the diff of two versions.
 */
import * as z from "zod";
import { diffVersions } from "../../definition/version-diff.js";
import { imageDetailsWithBuild } from "../../workspace/image-details.js";
import type { RouteDeps, ZodApp } from "../route-deps.js";
import { environmentParams, environmentVersionSchema, imageDetailsSchema } from "../schemas.js";
import { environmentDetailsSchema, versionDiffSchema } from "./environment-view-schemas.js";
import { versionNumber } from "./params.js";

const READ = { scope: "read", workspaceParam: true } as const;

const diffParams = environmentParams.extend({
  version: z.string().describe("the version to compare from, e.g. 3, or latest"),
  other: z.string().describe("the version to compare to, e.g. 4, or latest"),
});

export function registerEnvironmentViewRoutes(app: ZodApp, deps: RouteDeps): void {
  const { service } = deps;
  const base = "/v1/workspaces/:workspace/environments/:name";

  app.get(
    base,
    {
      config: { access: READ },
      schema: {
        summary: "One environment: its latest version, labels, archived and curated flags",
        params: environmentParams,
        response: { 200: environmentDetailsSchema },
      },
    },
    async (request) =>
      service.getEnvironment({ workspace: request.params.workspace, name: request.params.name }),
  );

  // A static segment wins over `versions/:version` in fastify's router, so `latest` never
  // reaches the number check.
  app.get(
    `${base}/versions/latest`,
    {
      config: { access: READ },
      schema: {
        summary: "The newest unarchived version",
        params: environmentParams,
        response: { 200: environmentVersionSchema },
      },
    },
    async (request) => {
      const { workspace, name } = request.params;
      return service.getEnvironmentVersion({ workspace, name, label: "latest" });
    },
  );

  app.get(
    `${base}/versions/latest/image-details`,
    {
      config: { access: READ },
      schema: {
        summary: "The image and build ingredients of the newest unarchived version",
        params: environmentParams,
        response: { 200: imageDetailsSchema },
      },
    },
    async (request) => {
      const { workspace, name } = request.params;
      const version = await service.getEnvironmentVersion({ workspace, name, label: "latest" });
      return imageDetailsWithBuild(version, deps);
    },
  );

  app.get(
    `${base}/versions/:version/diff/:other`,
    {
      config: { access: READ },
      schema: {
        summary:
          "What changed from one version to another: definition parts and locked packages (added, removed, changed)",
        params: diffParams,
        response: { 200: versionDiffSchema },
      },
    },
    async (request) => {
      const { workspace, name } = request.params;
      const get = (text: string) =>
        service.getEnvironmentVersion({
          workspace,
          name,
          ...(text === "latest" ? { label: "latest" } : { version: versionNumber(text) }),
        });
      const [from, to] = await Promise.all([
        get(request.params.version),
        get(request.params.other),
      ]);
      return { name, from: from.version, to: to.version, ...diffVersions(from, to) };
    },
  );
}
