/**
 * The API's JSON body parser. Bodies up to a small size are parsed in place; larger ones (an
 * upload with a build context may be 16 MiB) are parsed on a worker thread, so one big request
 * does not hold the event loop (JSON.parse of 16 MiB takes on the order of 100 ms). The result
 * comes back by structured clone, which for an upload (a few long strings) is a copy.
 * Prototype-poisoning keys are refused as fastify's own parser does.
 */
import { Worker } from "node:worker_threads";
import type { FastifyInstance } from "fastify";

/** Bodies above this many bytes are parsed off the event loop. */
export const OFF_THREAD_JSON_BYTES = 256 * 1024;

// CommonJS source for an eval'd worker: no file to resolve, so it runs the same from src and dist.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const reviver = (key, value) => {
  if (key === "__proto__" || (key === "constructor" && value !== null && typeof value === "object" && "prototype" in value)) {
    throw new SyntaxError("Object contains forbidden prototype property");
  }
  return value;
};
parentPort.on("message", ({ id, bytes }) => {
  try {
    const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
    parentPort.postMessage({ id, value: JSON.parse(text, reviver) });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

class JsonWorker {
  #worker: Worker | undefined;
  #next = 0;
  readonly #pending = new Map<number, Pending>();

  parse(bytes: Buffer): Promise<unknown> {
    const worker = this.#start();
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      // A copy the worker owns: the request's buffer may come from a shared pool.
      const copy = new Uint8Array(bytes);
      worker.postMessage({ id, bytes: copy }, [copy.buffer]);
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on("message", (message: unknown) => this.#answer(message));
    worker.on("error", (error) => this.#failAll(error));
    worker.on("exit", () => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#failAll(new Error("the JSON parser thread stopped"));
    });
    this.#worker = worker;
    return worker;
  }

  #answer(message: unknown): void {
    if (typeof message !== "object" || message === null) return;
    const id = Reflect.get(message, "id");
    const pending = typeof id === "number" ? this.#pending.get(id) : undefined;
    if (pending === undefined || typeof id !== "number") return;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker?.unref();
    const error = Reflect.get(message, "error");
    if (typeof error === "string") pending.reject(badJson(error));
    else pending.resolve(Reflect.get(message, "value"));
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

function refusePoisoning(key: string, value: unknown): unknown {
  const constructorPoison =
    key === "constructor" && typeof value === "object" && value !== null && "prototype" in value;
  if (key === "__proto__" || constructorPoison) {
    throw new SyntaxError("Object contains forbidden prototype property");
  }
  return value;
}

function badJson(message: string): Error {
  return Object.assign(new Error(`the body is not valid JSON: ${message}`), { statusCode: 400 });
}

/** Replaces fastify's application/json parser with one that parses big bodies off-thread. */
export function useJsonBodyParser(app: FastifyInstance): void {
  const worker = new JsonWorker();
  app.addHook("onClose", async () => worker.close());
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser(
    "application/json",
    { parseAs: "buffer" },
    async (_request: unknown, body: string | Buffer) => {
      const bytes = typeof body === "string" ? Buffer.from(body) : body;
      if (bytes.length === 0) {
        throw Object.assign(new Error("the body is empty; send a JSON value"), { statusCode: 400 });
      }
      if (bytes.length > OFF_THREAD_JSON_BYTES) return worker.parse(bytes);
      try {
        return JSON.parse(bytes.toString("utf8"), refusePoisoning);
      } catch (error) {
        throw badJson(error instanceof Error ? error.message : String(error));
      }
    },
  );
}
