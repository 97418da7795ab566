/**
 * Keeps web pages from driving the server through a user's browser. A page on any site can
 * send a "simple" cross-origin POST (text/plain, form data, no preflight), and with DNS
 * rebinding can make its own name resolve to 127.0.0.1 and talk to a loopback server as if it
 * were same-origin. Without auth (the loopback default) that would archive or register at will,
 * so every request is checked before its body is read:
 * - `Host` is a loopback name or a configured public name (stops DNS rebinding);
 * - a write carries JSON (the only body type the API reads), so it cannot be a simple request;
 * - a write's `Origin`, when a browser sends one, is the server itself.
 * No CORS headers are ever sent, so a cross-origin page cannot read answers either.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { ForbiddenError } from "../errors/index.js";
import { isLoopbackHost } from "./loopback.js";

export interface BrowserGuardOptions {
  /**
   * Names (host or host:port) the server is reached by besides loopback ones, e.g.
   * `envforge.example.org`; from `--public-host` / ENVFORGE_PUBLIC_HOST.
   */
  readonly publicHosts: readonly string[];
  /**
   * Check `Host` even when no public name is configured. On for a server without auth (where
   * rebinding would give a page the workspace); a server with auth and no public name takes any
   * `Host`, since a page cannot present a bearer token it does not have.
   */
  readonly requireKnownHost: boolean;
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;.*)?$/i;

/** `name` or `name:port` → the lower-case name without port or IPv6 brackets. */
export function hostName(host: string): string {
  const trimmed = host.trim().toLowerCase();
  if (trimmed.startsWith("[")) {
    const end = trimmed.indexOf("]");
    return end === -1 ? trimmed : trimmed.slice(0, end + 1);
  }
  const colon = trimmed.lastIndexOf(":");
  return colon === -1 ? trimmed : trimmed.slice(0, colon);
}

export function browserGuard(
  options: BrowserGuardOptions,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const known = new Set(options.publicHosts.map(hostName));
  const checkHost = options.requireKnownHost || known.size > 0;
  return async (request, reply) => {
    const host = request.headers.host ?? "";
    const name = hostName(host);
    // Public reads (/healthz, /readyz, /metrics, /openapi.json) hold no workspace data, and
    // probes of a load balancer or an orchestrator address the server by its IP.
    const publicRead =
      request.method === "GET" && request.routeOptions.config.access?.scope === "public";
    if (checkHost && !publicRead && !isLoopbackHost(name) && !known.has(name)) {
      throw new ForbiddenError(
        `the Host header ${JSON.stringify(host.slice(0, 300))} is not a name of this server: use a loopback address (127.0.0.1, localhost, [::1]) or start the server with --public-host <name>`,
      );
    }
    if (!WRITE_METHODS.has(request.method)) return;

    const origin = request.headers.origin;
    const site = request.headers["sec-fetch-site"];
    if (
      (origin !== undefined && !sameOrigin(origin, host)) ||
      site === "cross-site" ||
      site === "same-site"
    ) {
      throw new ForbiddenError(
        `a write from another site is refused (Origin ${JSON.stringify(origin ?? "")}, Sec-Fetch-Site ${JSON.stringify(site ?? "")}): the API takes writes from its own pages, scripts and the envforge CLI`,
      );
    }
    const type = request.headers["content-type"];
    const hasBody =
      request.headers["transfer-encoding"] !== undefined ||
      Number(request.headers["content-length"] ?? "0") > 0;
    if ((type !== undefined && !JSON_TYPE.test(type)) || (type === undefined && hasBody)) {
      await reply
        .code(415)
        .type("application/problem+json")
        .send({
          type: "urn:envforge:problem:bad-request",
          title: "Unsupported media type",
          status: 415,
          detail: `a request body must be application/json; found ${JSON.stringify(type ?? "no Content-Type")}`,
          instance: request.url.split("?")[0] ?? request.url,
          error: "bad-request",
        });
      return reply;
    }
  };
}

function sameOrigin(origin: string, host: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (a sandboxed frame or a file) and anything unparsable
  }
  return (url.protocol === "http:" || url.protocol === "https:") && url.host === host.toLowerCase();
}
