/**
 * Prometheus metrics for one server: a registry of its own (no global registry, so two servers
 * in one process, as in tests, count apart). Routes are labelled by their pattern, never by the
 * concrete URL, so label cardinality stays bounded. Builds and jobs are read from the store at
 * each scrape: the store is the source of truth, and workers on other machines write it.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { EndedCursor, RunStats } from "../workspace/run-stats.js";

/** Seconds, from a quick cache hit to a long conda build or training job. */
const RUN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14_400];
const ENDED_PAGE = 1000;

export interface ApiMetrics {
  readonly registry: Registry;
  /** Reads builds and jobs from the store into the gauges and histograms; before each scrape. */
  refresh(): Promise<void>;
  observeRequest(sample: {
    readonly method: string;
    readonly route: string;
    readonly status: number;
    readonly seconds: number;
  }): void;
  countRegistration(created: boolean): void;
}

export function createApiMetrics(options: {
  readonly store: string;
  /** Builds and jobs; absent when the server has no build routes. */
  readonly runs?: RunStats;
  /** Runs that ended before this time are history, not counted; default now. */
  readonly now?: () => Date;
}): ApiMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ store: options.store });
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "envforge_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "envforge_http_request_duration_seconds",
    help: "Time to answer an HTTP request, by method and route pattern",
    labelNames: ["method", "route"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const registrations = new Counter({
    name: "envforge_registrations_total",
    help: "Environment registrations, by whether a new version was created",
    labelNames: ["created"],
    registers: [registry],
  });
  const refresh =
    options.runs === undefined
      ? async () => undefined
      : runMetrics(registry, options.runs, options.now ?? (() => new Date()));
  return {
    registry,
    refresh,
    observeRequest: ({ method, route, status, seconds }) => {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
    countRegistration: (created) => registrations.inc({ created: String(created) }),
  };
}

function runMetrics(registry: Registry, runs: RunStats, now: () => Date): () => Promise<void> {
  const registers = [registry];
  const builds = new Gauge({
    name: "envforge_builds",
    help: "Builds in the store, by state",
    labelNames: ["state"],
    registers,
  });
  const jobs = new Gauge({
    name: "envforge_jobs",
    help: "Jobs in the store, by state",
    labelNames: ["state"],
    registers,
  });
  const queueDepth = new Gauge({
    name: "envforge_build_queue_depth",
    help: "Builds queued and not yet taken by a worker",
    registers,
  });
  const durations = {
    build: new Histogram({
      name: "envforge_build_duration_seconds",
      help: "Time from a worker taking a build to its end, by final state",
      labelNames: ["state"],
      buckets: RUN_BUCKETS,
      registers,
    }),
    job: new Histogram({
      name: "envforge_job_duration_seconds",
      help: "Time from a job starting to its end, by final state",
      labelNames: ["state"],
      buckets: RUN_BUCKETS,
      registers,
    }),
  };
  const start = now().toISOString();
  const cursors: Record<"build" | "job", EndedCursor> = {
    build: { finishedAt: start, id: "" },
    job: { finishedAt: start, id: "" },
  };

  async function observeEnded(kind: "build" | "job"): Promise<void> {
    for (;;) {
      const ended = await runs.endedRuns({ kind, after: cursors[kind], limit: ENDED_PAGE });
      for (const run of ended) {
        cursors[kind] = { finishedAt: run.finishedAt, id: run.id };
        if (run.startedAt === null) continue;
        const seconds = (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000;
        if (Number.isFinite(seconds) && seconds >= 0) {
          durations[kind].observe({ state: run.state }, seconds);
        }
      }
      if (ended.length < ENDED_PAGE) return;
    }
  }

  // One refresh at a time: two scrapes at once must not observe the same run twice.
  let running = Promise.resolve();
  return () => {
    running = running
      .catch(() => undefined)
      .then(async () => {
        const counts = await runs.countRuns();
        for (const [state, n] of Object.entries(counts.builds)) builds.set({ state }, n);
        for (const [state, n] of Object.entries(counts.jobs)) jobs.set({ state }, n);
        queueDepth.set(counts.builds.queued);
        await observeEnded("build");
        await observeEnded("job");
      });
    return running;
  };
}
