/**
 * rattler's solver behind a small port, run in a worker thread. Two reasons: a solve is
 * synchronous WASM work that would stall a server's event loop for its whole length, and a
 * rattler panic ("RuntimeError: unreachable", e.g. on a spec naming a channel) kills the thread
 * it runs on. In a worker, the panic fails that one solve and the next solve gets a new worker.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** A record rattler takes as already installed; envforge passes the target's virtual packages. */
export interface RattlerLockedRecord {
  readonly url: string;
  readonly packageName: string;
  readonly version: string;
  readonly build: string;
  readonly filename: string;
  readonly subdir: string;
  readonly depends: readonly string[];
}

export interface RattlerRequest {
  readonly specs: readonly string[];
  /** Channel base URLs, with a trailing slash. */
  readonly channels: readonly string[];
  readonly platforms: readonly string[];
  readonly locked: readonly RattlerLockedRecord[];
}

export interface RattlerSolution {
  readonly url: string;
  readonly packageName: string;
}

export interface RattlerSolver {
  solve(request: RattlerRequest): Promise<readonly RattlerSolution[]>;
  /** Ends the worker; a solver is not used after this. */
  close(): Promise<void>;
}

/** rattler said no (`crashed: false`) or its thread died (`crashed: true`). */
export class RattlerFailure extends Error {
  constructor(
    message: string,
    readonly crashed: boolean,
  ) {
    super(message);
    this.name = "RattlerFailure";
  }
}

// Plain CommonJS so the worker needs no TypeScript loader (vitest, tsx and dist alike); rattler's
// CJS build is loaded by absolute path.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const rattler = require(workerData.rattlerPath);
async function solve(request) {
  try {
    const solved = await rattler.simpleSolve(
      request.specs, request.channels, request.platforms, request.locked);
    parentPort.postMessage({
      id: request.id,
      solved: solved.map((p) => ({ url: p.url, packageName: p.packageName })),
    });
  } catch (error) {
    const message = typeof error === "string" ? error : String((error && error.message) || error);
    parentPort.postMessage({ id: request.id, error: message });
  }
}
// One solve at a time: nothing says rattler's WASM state takes two at once.
let queue = Promise.resolve();
parentPort.on("message", (request) => {
  queue = queue.then(() => solve(request));
});
`;
interface Pending {
  readonly resolve: (solved: readonly RattlerSolution[]) => void;
  readonly reject: (error: RattlerFailure) => void;
}

/** A solver on its own worker thread, started on first use and again after a crash. */
export function workerRattlerSolver(): RattlerSolver {
  const rattlerPath = createRequire(import.meta.url).resolve("@conda-org/rattler");
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, Pending>();
  const owner = new Map<number, Worker>();

  /** Fails the given solves (those that were out when a thread died), not later ones. */
  const fail = (ids: readonly number[], message: string): void => {
    for (const id of ids) {
      pending.get(id)?.reject(new RattlerFailure(message, true));
      pending.delete(id);
    }
  };

  const start = (): Worker => {
    // rattler prints its panic message on stderr before the thread dies: keep the tail of it.
    const started = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { rattlerPath },
      stderr: true,
    });
    let stderr = "";
    started.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-4096);
    });
    started.on("message", (message: unknown) => settle(message, pending));
    // The thread's end is reported once its stderr is drained, so the panic text is complete.
    const stderrDone = new Promise<void>((done) => started.stderr.once("end", done));
    let failure: string | undefined;
    const crash = (reason: string): void => {
      if (worker === started) worker = undefined;
      failure ??= reason;
      const doomed = [...pending.keys()].filter((id) => owner.get(id) === started);
      void Promise.race([stderrDone, delay(1000)]).then(() => {
        const panic = /panicked at [^\n]*\n([^\n]+)/.exec(stderr)?.[1]?.trim();
        fail(
          doomed,
          `the conda solver crashed: ${panic === undefined ? failure : `rattler panicked: ${panic}`}`,
        );
      });
    };
    started.on("error", (error) => crash(error.message));
    started.on("exit", (code) => crash(`its thread ended with exit code ${code}`));
    return started;
  };

  return {
    solve(request) {
      worker ??= start();
      const running = worker;
      const id = (nextId += 1);
      // Keep the process alive only while a solve is out, so an idle CLI can exit.
      running.ref();
      return new Promise<readonly RattlerSolution[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        owner.set(id, running);
        running.postMessage({ id, ...request });
      }).finally(() => {
        owner.delete(id);
        if (![...owner.values()].includes(running)) running.unref();
      });
    },
    async close() {
      const running = worker;
      worker = undefined;
      if (running !== undefined) await running.terminate();
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms).unref());
}

function settle(message: unknown, pending: Map<number, Pending>): void {
  if (typeof message !== "object" || message === null) return;
  const id: unknown = Reflect.get(message, "id");
  const waiting = typeof id === "number" ? pending.get(id) : undefined;
  if (typeof id !== "number" || waiting === undefined) return;
  pending.delete(id);
  const error: unknown = Reflect.get(message, "error");
  if (typeof error === "string") {
    waiting.reject(new RattlerFailure(error, false));
    return;
  }
  const solved: unknown = Reflect.get(message, "solved");
  waiting.resolve(Array.isArray(solved) ? solved.filter(isSolution) : []);
}

function isSolution(value: unknown): value is RattlerSolution {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof Reflect.get(value, "url") === "string" &&
    typeof Reflect.get(value, "packageName") === "string"
  );
}
