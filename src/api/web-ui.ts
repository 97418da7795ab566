/**
 * The web UI (web/, built by `npm run build` into dist/web/) served by the API server itself:
 * its files as they are, and every other GET that is not an API path answered with index.html
 * so the app's own routes load from a bookmark or a reload. No second server.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyReply } from "fastify";
import type { ZodApp } from "./route-deps.js";

/**
 * dist/web/ of the package: two folders up from this module both in src/api/ (tests under tsx)
 * and in dist/api/ or dist/bin/ (the built CLI).
 */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL("../../dist/web/", import.meta.url));

/** Paths that belong to the API: an unknown one stays a problem+json 404, never the app. */
const API_PATH = /^\/(v1(\/|$)|openapi\.json$|healthz$|readyz$|metrics$)/;

const PUBLIC = { access: { scope: "public" } } as const;

export interface WebUiOptions {
  /** The built app's folder; without an index.html there, no UI is served. */
  readonly root?: string;
}

/** Registers the UI's routes; returns false when the UI is not built (then `/` stays a 404). */
export async function registerWebUi(app: ZodApp, options: WebUiOptions = {}): Promise<boolean> {
  const root = options.root ?? DEFAULT_WEB_ROOT;
  if (!existsSync(join(root, "index.html"))) return false;
  const files = new Set(listFiles(root));

  await app.register(fastifyStatic, { root, serve: false });

  const answer = (path: string, reply: FastifyReply) => {
    if (API_PATH.test(path)) return reply.callNotFound();
    const file = path.replace(/^\/+/, "");
    if (files.has(file)) {
      // Vite names assets by content hash, so they never change under their name.
      const immutable = file.startsWith("assets/");
      return reply.sendFile(file, {
        cacheControl: true,
        immutable,
        maxAge: immutable ? 31_536_000_000 : 0,
      });
    }
    return reply.header("cache-control", "no-cache").sendFile("index.html");
  };

  app.get("/", { config: PUBLIC, schema: { hide: true } }, (_request, reply) => answer("/", reply));
  app.get("/*", { config: PUBLIC, schema: { hide: true } }, (request, reply) =>
    answer(request.url.split("?")[0] ?? "/", reply),
  );
  return true;
}

function listFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join("/"));
}
