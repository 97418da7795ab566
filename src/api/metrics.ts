/**
 * Prometheus metrics for one server: a registry of its own (no global registry, so two servers
 * in one process, as in tests, count apart). Routes are labelled by their pattern, never by the
 * concrete URL, so label cardinality stays bounded.
 */
import { Counter, Histogram, Registry } from "prom-client";

export interface ApiMetrics {
  readonly registry: Registry;
  observeRequest(sample: {
    readonly method: string;
    readonly route: string;
    readonly status: number;
    readonly seconds: number;
  }): void;
  countRegistration(created: boolean): void;
}

export function createApiMetrics(options: { readonly store: string }): ApiMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ store: options.store });
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
  return {
    registry,
    observeRequest: ({ method, route, status, seconds }) => {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
    countRegistration: (created) => registrations.inc({ created: String(created) }),
  };
}
