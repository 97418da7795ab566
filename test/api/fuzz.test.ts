/**
 * A fast-check fuzz of the API's bad inputs against a real server on 127.0.0.1, on SQLite and
 * PostgreSQL. Bounded in count and time. The invariants, checked after every request:
 * - no answer is a 5xx;
 * - a 4xx changes no row of the store;
 * - every answer that is not 2xx is problem+json;
 * - `/healthz`, asked continuously by a concurrent monitor, answers within 100 ms throughout
 *   (see latencyBudgetMs for a machine under load).
 * Set ENVFORGE_FUZZ_RUNS for a longer run; a failure prints its seed to replay it.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INPUT_LIMITS } from "../../src/definition/input-limits.js";
import { harnessKinds } from "../workspace/fixtures.js";
import { latencyBudgetMs, monitorHealth, rawRequest } from "../support/http-probe.js";
import type { ApiHarness } from "./harness.js";
import { condaUpload, request, startApiHarness, versionsUrl } from "./harness.js";

const { kinds, adminUrl } = await harnessKinds();
const RUNS = Number(process.env.ENVFORGE_FUZZ_RUNS ?? "120");

/** Path segments a caller might send: names, numbers, encodings, oversized and odd ones. */
const segment = fc.oneof(
  fc.constantFrom("default", "demo", "fuzz", "latest", "1", "0", "-1", "2147483648", "envforge-x"),
  fc.constantFrom("%ff", "%", "%2e%2e", "..", "a%00b", "%E2%80%A8", "x".repeat(300)),
  fc.stringMatching(/^[A-Za-z0-9._~-]{1,40}$/),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

const route = fc.oneof(
  fc.tuple(segment, segment).map(([w, n]) => `/v1/workspaces/${w}/environments/${n}/versions`),
  fc
    .tuple(segment, segment, segment)
    .map(([w, n, v]) => `/v1/workspaces/${w}/environments/${n}/versions/${v}`),
  fc
    .tuple(segment, segment, fc.constantFrom("archive", "restore", "labels/x", "labels/latest"))
    .map(([w, n, a]) => `/v1/workspaces/${w}/environments/${n}/${a}`),
  fc.tuple(segment).map(([w]) => `/v1/workspaces/${w}/tokens`),
  fc.tuple(segment).map(([w]) => `/v1/workspaces/${w}`),
  fc.constant("/v1/workspaces"),
  fc.tuple(segment, segment).map(([a, b]) => `/${a}/${b}`),
);

/** Definition texts near the parsers' edges, sized up to the limits. */
const definitionText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.constantFrom(
    "dependencies: [numpy\n",
    "dependencies:\n  - numpy>>1\n",
    "channels: {a: b}\ndependencies: 3\n",
    "a: &a [*a]\n",
    "- - - - - - - -\n",
    "name: x\nname: y\n",
    "image: 127.0.0.1:5000/b:1\nbuild: {path: .}\n",
    "-r ../../etc/passwd\n",
    "-e .\n",
    "numpy @ file:///etc/passwd\n",
    'numpy; python_version >> "3"\n',
    `${"[".repeat(60)}${"]".repeat(60)}`,
  ),
  fc
    .tuple(fc.constantFrom("a", "- a\n", "a: b\n", "x,", "é"), fc.integer({ min: 1, max: 70_000 }))
    .map(([unit, times]) => unit.repeat(times)),
  fc.constant("a".repeat(INPUT_LIMITS.fileBytes + 1)),
);

const entry = fc.constantFrom(
  "environment.yml",
  "requirements.txt",
  "envforge.yaml",
  "Dockerfile",
  "azureml_environment.json",
  "ctx",
  ".",
  "../x",
  "/etc/passwd",
  "a\u0000b",
  "",
);

const upload = fc.record(
  {
    entry,
    files: fc.dictionary(
      fc.oneof(entry, fc.string({ maxLength: 30 })),
      fc.oneof(
        definitionText,
        fc.record({ base64: fc.string({ maxLength: 40 }), mode: fc.integer() }),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      { maxKeys: 4 },
    ),
    kind: fc.constantFrom("conda", "pip", "envforge", "dockerfile", "nope", 3),
    version: fc.oneof(fc.integer(), fc.string({ maxLength: 5 })),
    description: fc.string({ maxLength: 50 }),
    tags: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 }), {
      maxKeys: 3,
    }),
  },
  { requiredKeys: ["entry", "files"] },
);

const body = fc.oneof(
  upload.map((value) => JSON.stringify(value)),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 100 }),
  fc.constantFrom("", "{", '{"__proto__": {"x": 1}}', '{"entry": 1e400}', "null"),
);

const call = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE"),
  path: route,
  body: fc.option(body),
  contentType: fc.constantFrom("application/json", "application/json", "text/plain", undefined),
  origin: fc.constantFrom(undefined, undefined, "http://evil.example", "null"),
  host: fc.constantFrom(undefined, undefined, undefined, "evil.example"),
});

describe.each(kinds)("API fuzz on %s", (kind) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness({ kind, adminUrl });
    // One real environment, so routes that find things have something to find.
    const created = await request(versionsUrl(api.url, "default", "demo"), {
      body: condaUpload(["numpy"]),
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => api?.close());

  it(`${RUNS} bad requests: no 5xx, no write on 4xx, problem+json, /healthz within budget`, async () => {
    const budget = latencyBudgetMs(100);
    const monitor = monitorHealth(api.url);
    try {
      await fc.assert(
        fc.asyncProperty(call, async (c) => {
          const before = await api.store.read((tx) => tx.countRows());
          const headers: Record<string, string> = {};
          if (c.contentType !== undefined && c.body !== null) {
            headers["content-type"] = c.contentType;
          }
          if (c.origin !== undefined) headers.origin = c.origin;
          if (c.host !== undefined) headers.host = c.host;
          const answer = await rawRequest({
            url: api.url,
            path: c.path,
            method: c.method,
            headers,
            // A body on a GET is not something clients send; Node answers it as bad HTTP.
            ...(c.body === null || c.method === "GET" ? {} : { body: c.body }),
          });
          expect(answer.status, answer.text.slice(0, 300)).toBeLessThan(500);
          if (answer.status >= 400) {
            expect(answer.contentType).toContain("application/problem+json");
            expect(await api.store.read((tx) => tx.countRows())).toEqual(before);
          }
        }),
        { numRuns: RUNS, interruptAfterTimeLimit: 60_000 },
      );
    } finally {
      const { latencies, statuses } = await monitor.stop();
      expect(statuses.every((status) => status === 200)).toBe(true);
      expect(latencies.length).toBeGreaterThan(0);
      expect(Math.max(...latencies)).toBeLessThan(budget);
    }
  }, 120_000);
});
