/**
 * The API's JSON body parser. Bodies up to a small size are parsed in place; larger ones (an
 * upload with a build context may be 16 MiB) are parsed on the parse pool's threads, so one big
 * request does not hold the event loop (JSON.parse of 16 MiB takes on the order of 100 ms). The
 * bytes are moved to the thread; the value comes back by structured clone. Prototype-poisoning
 * keys are refused as fastify's own parser does (json-reading.ts). The route that registers a
 * definition reads its body its own way (version-routes.ts), on the same pool.
 */
import type { IncomingMessage } from "node:http";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { badJson, readJsonBody } from "./json-reading.js";
import type { JsonReading } from "./json-reading.js";
import type { ParsePool } from "./parse-pool.js";
import { readBodyBytes } from "./read-body.js";

type BadJson = Extract<JsonReading, { readonly kind: "bad-json" }>;

function isBadJson(reading: { readonly kind: string }): reading is BadJson {
  return reading.kind === "bad-json";
}

/** Bodies above this many bytes are parsed off the event loop. */
export const OFF_THREAD_JSON_BYTES = 256 * 1024;

/** fastify's 400 for an empty JSON body. */
function emptyBody(): Error {
  return Object.assign(new Error("the body is empty; send a JSON value"), { statusCode: 400 });
}

/** Replaces fastify's application/json parser with one that parses big bodies off-thread. */
export function useJsonBodyParser(app: FastifyInstance, pool: ParsePool): void {
  useJsonBodyReader(
    app,
    async (bytes) =>
      bytes.length > OFF_THREAD_JSON_BYTES ? pool.json(bytes) : readJsonBody(bytes),
    (reading: Exclude<JsonReading, BadJson>) => reading.value,
  );
}

/**
 * Replaces the application/json parser of `app`'s scope: the body's bytes, copied as they arrive,
 * are read by `read`; an empty body and one that is not JSON are fastify's 400s, and anything
 * else `read` made becomes the request's body through `body`.
 */
export function useJsonBodyReader<R extends { readonly kind: string }>(
  app: FastifyInstance,
  read: (bytes: Buffer) => Promise<R | BadJson>,
  body: (reading: R) => unknown,
): void {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser(
    "application/json",
    async (request: FastifyRequest, payload: IncomingMessage) => {
      const bytes = await readBodyBytes(request, payload);
      if (bytes.length === 0) throw emptyBody();
      const reading = await read(bytes);
      if (isBadJson(reading)) throw badJson(reading.message);
      return body(reading);
    },
  );
}
