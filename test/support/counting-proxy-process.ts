/**
 * The counting proxy (counting-proxy.ts) in a child process of its own, for benches that time a
 * builder in this process: a proxy on this event loop would forward every byte a builder sends
 * with the builder's own thread, and slow the builder it measures. Counts are read over IPC.
 *
 * The child runs this module (with the parent's loader flags, so tsx carries over); it starts
 * the proxy, sends its address, and answers `reset` and `requests` messages in order.
 */
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { CountedRequest } from "./counting-proxy.js";
import { startCountingProxy } from "./counting-proxy.js";

export interface CountingProxyProcess {
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** Forget what was counted so far. */
  reset(): Promise<void>;
  /** Every request counted since the last reset, in the order they ended. */
  requests(): Promise<CountedRequest[]>;
  close(): Promise<void>;
}

type Ask = { readonly id: number; readonly op: "reset" | "requests" };
type Answer = { readonly id: number; readonly requests?: CountedRequest[] };

export async function startCountingProxyProcess(target: string): Promise<CountingProxyProcess> {
  const child = fork(fileURLToPath(import.meta.url), ["--child", target], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const address = await new Promise<string>((resolve, reject) => {
    child.once("message", (message: { address: string }) => resolve(message.address));
    child.once("exit", (code) => reject(new Error(`counting proxy exited with ${code}`)));
  });
  let next = 0;
  const waiting = new Map<number, (answer: Answer) => void>();
  child.on("message", (answer: Answer) => {
    waiting.get(answer.id)?.(answer);
    waiting.delete(answer.id);
  });
  const ask = (op: Ask["op"]): Promise<Answer> =>
    new Promise((resolve) => {
      const id = (next += 1);
      waiting.set(id, resolve);
      child.send({ id, op } satisfies Ask);
    });
  return {
    address,
    reset: async () => {
      await ask("reset");
    },
    requests: async () => (await ask("requests")).requests ?? [],
    close: () => stop(child),
  };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill();
  });
}

if (process.argv[2] === "--child" && process.send !== undefined) {
  const proxy = await startCountingProxy(process.argv[3] ?? "");
  process.on("message", (ask: Ask) => {
    if (ask.op === "reset") proxy.reset();
    process.send?.({
      id: ask.id,
      ...(ask.op === "requests" ? { requests: [...proxy.requests] } : {}),
    } satisfies Answer);
  });
  process.send({ address: proxy.address });
}
