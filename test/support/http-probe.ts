/**
 * HTTP helpers for hardening tests: a raw request that may set any header (fetch will not set
 * `Host`), and a monitor that keeps one `/healthz` request in flight at all times and records
 * how long each took, so a test can prove the server's event loop was never held for long.
 */
import { request as httpRequest } from "node:http";
import { availableParallelism, loadavg } from "node:os";

export interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  readonly body: unknown;
}

export function rawRequest(options: {
  readonly url: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** The request target as sent, unencoded (e.g. with a bad %-escape); default the URL's path. */
  readonly path?: string;
}): Promise<RawAnswer> {
  const url = new URL(options.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? "GET",
        path: options.path ?? `${url.pathname}${url.search}`,
        headers: {
          ...(options.body === undefined
            ? {}
            : { "content-length": String(Buffer.byteLength(options.body)) }),
          ...options.headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const contentType = String(res.headers["content-type"] ?? "");
          let body: unknown = text;
          if (contentType.includes("json") && text !== "") body = JSON.parse(text);
          resolve({ status: res.statusCode ?? 0, contentType, text, body });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export interface HealthMonitor {
  /** Stops and returns every latency in milliseconds, and the statuses seen. */
  stop(): Promise<{ readonly latencies: readonly number[]; readonly statuses: readonly number[] }>;
}

/** Sequential `/healthz` requests, one always in flight, until stopped. */
export function monitorHealth(baseUrl: string): HealthMonitor {
  const latencies: number[] = [];
  const statuses: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const start = performance.now();
      const answer = await rawRequest({ url: `${baseUrl}/healthz` });
      latencies.push(performance.now() - start);
      statuses.push(answer.status);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { latencies, statuses };
    },
  };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

/**
 * A latency budget that holds on a quiet machine and stretches with the machine's load: the
 * budget times the one-minute load average per CPU when that is above 1. Tests share machines
 * with other test processes; on a quiet one (CI) the budget is the figure itself.
 */
export function latencyBudgetMs(quietMs: number): number {
  const perCpu = (loadavg()[0] ?? 0) / availableParallelism();
  return quietMs * Math.max(1, perCpu);
}
