/**
 * Starting the server: refuses a non-loopback address without auth (a workspace open to a
 * network with no tokens is never what anyone meant), listens, and reports the URL.
 */
import { isIP } from "node:net";
import { ValidationError } from "../errors/index.js";
import type { ApiAppOptions } from "./app.js";
import type { ZodApp } from "./route-deps.js";
import { buildApiApp } from "./app.js";
import { isLoopbackHost } from "./loopback.js";

export interface StartApiServerOptions extends ApiAppOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface RunningApiServer {
  readonly app: ZodApp;
  /** `http://host:port` with the port actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

export { isLoopbackHost };

export function checkBind(options: { readonly host: string; readonly auth: boolean }): void {
  if (!options.auth && !isLoopbackHost(options.host)) {
    throw ValidationError.single({
      key: "--host",
      message:
        "refusing to serve a non-loopback address without auth: anyone who can reach it could change the workspace",
      found: JSON.stringify(options.host),
      allowed:
        "a loopback address (127.0.0.1, ::1, localhost), or --auth with API tokens (envforge token create)",
    });
  }
}

export async function startApiServer(options: StartApiServerOptions): Promise<RunningApiServer> {
  checkBind(options);
  const app = await buildApiApp(options);
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  const host = isIP(options.host) === 6 ? `[${options.host}]` : options.host;
  return { app, url: `http://${host}:${port}`, close: () => app.close() };
}

// The serve command's one way in: the server and what its build and job routes need.
export type { ServerBuilds } from "./server-builds.js";
export { openServerBuilds } from "./server-builds.js";
