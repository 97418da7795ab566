/**
 * A small pool of worker threads that read request bodies off the server's event loop: big JSON
 * bodies (json-body.ts) and registration bodies (parse, validate, load, hash: read-registration.ts).
 * A 217 KiB requirements file at the limits takes tens of milliseconds to read and a 15 MiB body
 * as long to decode; on the event loop either would hold `/healthz` and every other request.
 *
 * The body's bytes are moved to the thread, not copied, when the request owns them whole. Threads
 * start on first use and hold the process open only while they have work. A thread that dies
 * fails its own tasks (an internal error) and the next task starts a new one.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { InternalError } from "../errors/index.js";
import type { ParseSettings } from "../definition/definition.js";
import { isRecord } from "../definition/model-shape.js";
import type { JsonReading } from "./json-reading.js";
import type { RegistrationReading, WireError } from "./upload/read-registration.js";
import { errorFromWire, isRegistrationReading } from "./upload/read-registration.js";

export interface ParsePool {
  json(bytes: Uint8Array): Promise<JsonReading>;
  registration(bytes: Uint8Array, settings: ParseSettings): Promise<RegistrationReading>;
  close(): Promise<void>;
}

export interface ParsePoolOptions {
  /** Threads; default one per core but one (left to the event loop), 1 to 4. */
  readonly threads?: number;
}

export function defaultParseThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

interface Pending {
  readonly resolve: (answer: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  worker: Worker | undefined;
  readonly pending: Map<number, Pending>;
}

export function createParsePool(options: ParsePoolOptions = {}): ParsePool {
  const slots: Slot[] = Array.from({ length: options.threads ?? defaultParseThreads() }, () => ({
    worker: undefined,
    pending: new Map(),
  }));
  let nextId = 0;
  let closed = false;

  const run = (task: Record<string, unknown>, bytes: Uint8Array): Promise<unknown> => {
    if (closed) return Promise.reject(new Error("the parse pool is closed"));
    // The least busy thread; ties go to the first, so one thread serves a quiet server.
    const slot = slots.reduce((best, s) => (s.pending.size < best.pending.size ? s : best));
    const worker = (slot.worker ??= start(slot));
    const id = (nextId += 1);
    const moved = movable(bytes);
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      if (slot.pending.size === 1) worker.ref();
      worker.postMessage({ ...task, id, bytes: moved.array }, [moved.buffer]);
    });
  };

  return {
    async json(bytes) {
      const answer = await run({ kind: "json" }, bytes);
      if (isRecord(answer) && (answer.kind === "json" || answer.kind === "bad-json")) {
        return answer.kind === "json"
          ? { kind: "json", value: answer.value }
          : { kind: "bad-json", message: String(answer.message) };
      }
      throw new Error("the parse thread gave an answer of no known kind");
    },
    async registration(bytes, settings) {
      const answer = await run({ kind: "registration", settings }, bytes);
      if (isRegistrationReading(answer)) return answer;
      throw new Error("the parse thread gave an answer of no known kind");
    },
    async close() {
      closed = true;
      await Promise.all(
        slots.map(async (slot) => {
          const { worker } = slot;
          slot.worker = undefined;
          if (worker !== undefined) await worker.terminate();
        }),
      );
    },
  };
}

function start(slot: Slot): Worker {
  const worker = startParseWorker();
  worker.unref();
  worker.on("message", (message: unknown) => {
    if (!isRecord(message) || typeof message.id !== "number") return;
    const pending = slot.pending.get(message.id);
    if (pending === undefined) return;
    slot.pending.delete(message.id);
    if (slot.pending.size === 0) worker.unref();
    if (isRecord(message.crash)) pending.reject(errorFromWire(wireError(message.crash)));
    else pending.resolve(message.answer);
  });
  const fail = (reason: string): void => {
    if (slot.worker === worker) slot.worker = undefined;
    for (const pending of slot.pending.values()) {
      pending.reject(new Error(`the parse thread stopped: ${reason}`));
    }
    slot.pending.clear();
  };
  worker.on("error", (error) => fail(error.message));
  worker.on("exit", (code) => fail(`it exited with code ${code}`));
  return worker;
}

/**
 * The thread runs parse-worker beside this module: the compiled .js in dist, or, from the CLI's
 * bundle (dist/bin, whose chunks are not modules a thread can start), the same compiled file in
 * dist/api; under a TypeScript runner (vitest, tsx) the .ts, after loading tsx's hooks in the
 * thread.
 */
function startParseWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) {
    const candidates = [
      new URL("./parse-worker.js", here),
      new URL("../api/parse-worker.js", here),
    ];
    const found = candidates.find((url) => existsSync(url));
    if (found === undefined) {
      throw new InternalError(
        `parse-worker.js is in neither ${candidates.map(String).join(" nor ")}`,
      );
    }
    return new Worker(found);
  }
  // tsx's ES module API (its CommonJS one cannot load its ESM half from a thread like this); the
  // exports map puts the two side by side. Only ever reached from TypeScript sources.
  const tsxApi = createRequire(here)
    .resolve("tsx/esm/api")
    .replace(/\.cjs$/, ".mjs");
  return new Worker(TS_BOOT, {
    eval: true,
    workerData: {
      tsx: pathToFileURL(tsxApi).href,
      module: new URL("./parse-worker.ts", here).href,
    },
  });
}

const TS_BOOT = `
const { workerData } = require("node:worker_threads");
import(workerData.tsx)
  .then(({ register }) => { register(); return import(workerData.module); })
  .catch((error) => { setImmediate(() => { throw error; }); });
`;

/**
 * The bytes and the buffer to move: the request's own when it holds them whole (a big body is
 * never a slice of Node's shared pool), else a copy; the caller does not use them afterwards.
 */
function movable(bytes: Uint8Array): { readonly array: Uint8Array; readonly buffer: ArrayBuffer } {
  const { buffer } = bytes;
  if (buffer instanceof ArrayBuffer && bytes.byteOffset === 0) {
    if (bytes.byteLength === buffer.byteLength) return { array: bytes, buffer };
  }
  const copy = new Uint8Array(bytes);
  return { array: copy, buffer: copy.buffer };
}

function wireError(value: Record<string, unknown>): WireError {
  return {
    name: typeof value.name === "string" ? value.name : "Error",
    message: typeof value.message === "string" ? value.message : "the parse thread failed",
    ...(typeof value.kind === "string" ? { kind: value.kind } : {}),
    ...(typeof value.stack === "string" ? { stack: value.stack } : {}),
  };
}
