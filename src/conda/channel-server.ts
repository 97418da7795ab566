/**
 * A small HTTP server on loopback that serves a conda channel: a local folder (with ETag and
 * Last-Modified, answering conditional requests with 304) and/or files held in memory. rattler
 * reads channels only over HTTP, so local-folder channels and the solver's repodata mirror go
 * through here; tests use it as a real channel.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { resolve, sep } from "node:path";
import { InternalError } from "../errors/index.js";

export interface ChannelServerOptions {
  /** Folder served at `/`, e.g. a channel with `<subdir>/repodata.json` and package files. */
  readonly root?: string;
  /** Files held in memory by URL path without the leading slash; looked up before `root`. */
  readonly files?: ReadonlyMap<string, Buffer>;
  /** A loopback address; default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
}

export interface ServedRequest {
  readonly method: string;
  /** URL path as requested, e.g. `/linux-64/repodata.json`. */
  readonly path: string;
  readonly status: number;
  readonly ifNoneMatch?: string;
  readonly ifModifiedSince?: string;
}

export interface ChannelServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The most recent requests (at most 1,000), oldest first: what tests assert on. */
  readonly requests: readonly ServedRequest[];
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);
const MAX_LOGGED = 1000;

export async function startChannelServer(options: ChannelServerOptions): Promise<ChannelServer> {
  const host = options.host ?? "127.0.0.1";
  if (!LOOPBACK.has(host)) {
    throw new InternalError(`channel server must listen on loopback, not ${host}`);
  }
  const root = options.root === undefined ? undefined : resolve(options.root);
  const files = options.files ?? new Map<string, Buffer>();
  const requests: ServedRequest[] = [];
  const server = createServer((request, response) => {
    // Logged when the status is decided, before any body: the log keeps request order.
    const log = (status: number): void => {
      requests.push({
        method: request.method ?? "GET",
        path: request.url ?? "/",
        status,
        ...header(request, "if-none-match", "ifNoneMatch"),
        ...header(request, "if-modified-since", "ifModifiedSince"),
      });
      if (requests.length > MAX_LOGGED) requests.shift();
    };
    serve({ request, response, root, files, log })
      .catch(() => 500)
      .then((status) => {
        if (!response.headersSent) {
          log(status);
          response.writeHead(status).end();
        }
      });
  });
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, host, () => done());
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new InternalError("channel server has no TCP address");
  }
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

interface ServeInput {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly root: string | undefined;
  readonly files: ReadonlyMap<string, Buffer>;
  readonly log: (status: number) => void;
}

/** Answers one request; returns the status (already sent unless the caller must send it). */
async function serve({ request, response, root, files, log }: ServeInput): Promise<number> {
  if (request.method !== "GET" && request.method !== "HEAD") return 405;
  const path = decodeURIComponent(new URL(request.url ?? "/", "http://loopback").pathname);
  const inMemory = files.get(path.replace(/^\/+/, ""));
  if (inMemory !== undefined) {
    log(200);
    response.writeHead(200, {
      "content-type": contentType(path),
      "content-length": inMemory.length,
    });
    response.end(request.method === "HEAD" ? undefined : inMemory);
    return 200;
  }
  if (root === undefined) return 404;
  const file = resolve(root, `.${path}`);
  // A request may never leave the served folder.
  if (file !== root && !file.startsWith(root + sep)) return 404;
  const info = await stat(file).catch(() => undefined);
  if (info === undefined || !info.isFile()) return 404;
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const lastModified = new Date(Math.floor(info.mtimeMs / 1000) * 1000).toUTCString();
  const headers = { etag, "last-modified": lastModified, "content-type": contentType(path) };
  if (notModified(request, etag, info.mtimeMs)) {
    log(304);
    response.writeHead(304, headers).end();
    return 304;
  }
  log(200);
  response.writeHead(200, { ...headers, "content-length": info.size });
  if (request.method === "HEAD") {
    response.end();
    return 200;
  }
  await new Promise<void>((done, fail) => {
    createReadStream(file).on("error", fail).pipe(response).on("finish", done);
  });
  return 200;
}

function notModified(request: IncomingMessage, etag: string, mtimeMs: number): boolean {
  const ifNoneMatch = request.headers["if-none-match"];
  if (ifNoneMatch !== undefined) {
    return ifNoneMatch.split(",").some((tag) => tag.trim() === etag || tag.trim() === "*");
  }
  const since = request.headers["if-modified-since"];
  if (since === undefined) return false;
  const time = Date.parse(since);
  return !Number.isNaN(time) && Math.floor(mtimeMs / 1000) * 1000 <= time;
}

function contentType(path: string): string {
  if (path.endsWith(".json")) return "application/json";
  return "application/octet-stream";
}

function header(
  request: IncomingMessage,
  name: "if-none-match" | "if-modified-since",
  key: "ifNoneMatch" | "ifModifiedSince",
): Partial<Record<"ifNoneMatch" | "ifModifiedSince", string>> {
  const value = request.headers[name];
  return typeof value === "string" ? { [key]: value } : {};
}
