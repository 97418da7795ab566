/**
 * Registration bodies read on the parse pool's threads (issue 13: parsing never holds the event
 * loop) answer exactly as bodies read in place: two real servers on 127.0.0.1, one reading every
 * registration on a thread and one reading every registration in place, get the same requests
 * and must give the same statuses and bodies (times aside), hashes and problems included, on
 * SQLite and PostgreSQL (build context bytes come back from the thread as plain arrays). The
 * parsers are spied on in this (the server's) thread: off-thread, they run zero times here.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type * as PipModule from "../../src/definition/pip-requirements.js";
import { INPUT_LIMITS } from "../../src/definition/input-limits.js";
import type { ApiHarness } from "./harness.js";
import { field, request, startApiHarness, versionsUrl } from "./harness.js";
import { rawRequest } from "../support/http-probe.js";
import { harnessKinds } from "../workspace/fixtures.js";

const here = vi.hoisted(() => ({ pipParses: 0 }));

vi.mock("../../src/definition/pip-requirements.js", async (importOriginal) => {
  const real = await importOriginal<typeof PipModule>();
  return {
    ...real,
    parsePipRequirements: (...args: Parameters<typeof real.parsePipRequirements>) => {
      here.pipParses += 1;
      return real.parsePipRequirements(...args);
    },
  };
});

/** Times differ between the two servers; nothing else may. */
function comparable(body: unknown): string {
  return JSON.stringify(body).replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, "<time>");
}

const requirementsAtLimits = Array.from(
  { length: INPUT_LIMITS.listItems },
  (_, i) => `package-${i}[extra]>=1.0.${i},<2 ; python_version >= "3.8" # ${"x".repeat(40)}`,
).join("\n");

const bodies: readonly { readonly title: string; readonly status: number; readonly raw: string }[] =
  [
    {
      title: "a conda environment.yml",
      status: 201,
      raw: JSON.stringify({
        entry: "environment.yml",
        files: { "environment.yml": "channels: [defaults]\ndependencies: [python=3.10, numpy]\n" },
        description: "d",
        tags: { team: "a" },
      }),
    },
    {
      title: "requirements with an include, an index with credentials and an explicit version",
      status: 201,
      raw: JSON.stringify({
        entry: "requirements.txt",
        files: {
          "requirements.txt":
            "--index-url https://u:secret@127.0.0.1:9/simple\n-r base.txt\nrequests\n",
          "base.txt": "numpy==1.26.4\n",
        },
        version: 7,
      }),
    },
    {
      title: "a build context with a base64 file and a mode",
      status: 201,
      raw: JSON.stringify({
        entry: "ctx",
        files: {
          "ctx/Dockerfile": "FROM 127.0.0.1:5000/base:1\nCOPY run.sh /run.sh\n",
          "ctx/run.sh": {
            base64: Buffer.from("#!/bin/sh\necho hi\n").toString("base64"),
            mode: 493,
          },
          "ctx/data.bin": { base64: Buffer.alloc(40_000, 7).toString("base64") },
        },
      }),
    },
    {
      title: "requirements at the limits",
      status: 201,
      raw: JSON.stringify({
        entry: "requirements.txt",
        files: { "requirements.txt": requirementsAtLimits },
      }),
    },
    {
      title: "a requirement that does not parse",
      status: 422,
      raw: JSON.stringify({
        entry: "requirements.txt",
        files: { "requirements.txt": "numpy=1.0\n" },
      }),
    },
    {
      title: "a rule of the recipe broken",
      status: 422,
      raw: JSON.stringify({
        entry: "envforge.yaml",
        files: {
          "envforge.yaml":
            'image: 127.0.0.1:5000/base:1\npython:\n  interpreter_path: "python;id"\n',
        },
      }),
    },
    {
      title: "a file over the size limit",
      status: 422,
      raw: JSON.stringify({
        entry: "requirements.txt",
        files: { "requirements.txt": "a".repeat(INPUT_LIMITS.fileBytes + 1) },
      }),
    },
    { title: "not JSON", status: 400, raw: '{"entry": "requirements.txt", "files": ' },
    { title: "a body that is not an object", status: 400, raw: "[1, 2]" },
    {
      title: "a wrong type and an unknown key",
      status: 400,
      raw: JSON.stringify({ entry: 5, files: {}, colour: "red" }),
    },
    {
      title: "a prototype-poisoning key",
      status: 400,
      raw: '{"entry":"a","files":{},"__proto__":{"x":1}}',
    },
    {
      title: "a byte-order mark before the JSON",
      status: 400,
      raw: `\ufeff${JSON.stringify({ entry: "a", files: {} })}`,
    },
  ];

const { kinds, adminUrl } = await harnessKinds();

describe.each(kinds)(
  "on %s, a registration body read on a thread answers as one read in place",
  (kind) => {
    let offThread: ApiHarness;
    let inPlace: ApiHarness;

    beforeAll(async () => {
      [offThread, inPlace] = await Promise.all([
        startApiHarness({ kind, adminUrl, parsing: { registrationBytes: 0 } }),
        startApiHarness({
          kind,
          adminUrl,
          parsing: { registrationBytes: Number.MAX_SAFE_INTEGER },
        }),
      ]);
    }, 60_000);

    afterAll(async () => {
      await Promise.all([offThread?.close(), inPlace?.close()]);
    });

    beforeEach(() => {
      here.pipParses = 0;
    });

    it.each(bodies)("$title: $status", async ({ raw, status }) => {
      const url = (api: ApiHarness) => versionsUrl(api.url, "default", "same");
      const there = await request(url(offThread), { raw });
      expect(here.pipParses).toBe(0);
      const inline = await request(url(inPlace), { raw });
      expect(there.status).toBe(status);
      expect(inline.status).toBe(status);
      expect(there.contentType).toBe(inline.contentType);
      expect(comparable(there.body)).toBe(comparable(inline.body));
      const counts = await Promise.all(
        [offThread, inPlace].map((api) => api.store.read((tx) => tx.countRows())),
      );
      expect(counts[0]).toEqual(counts[1]);
    });

    it("the requirements files are parsed on the server's thread only when read in place", async () => {
      const raw = JSON.stringify({
        entry: "requirements.txt",
        files: { "requirements.txt": "flask\n" },
      });
      expect((await request(versionsUrl(offThread.url, "default", "where"), { raw })).status).toBe(
        201,
      );
      expect(here.pipParses).toBe(0);
      expect((await request(versionsUrl(inPlace.url, "default", "where"), { raw })).status).toBe(
        201,
      );
      expect(here.pipParses).toBe(1);
    });

    it("a POST without a body gets the body schema's own 400 from either", async () => {
      const answers = await Promise.all(
        [offThread, inPlace].map((api) =>
          rawRequest({ url: versionsUrl(api.url, "default", "none"), method: "POST" }),
        ),
      );
      expect(answers[0]?.status).toBe(answers[1]?.status);
      expect(answers[0]?.text).toBe(answers[1]?.text);
    });

    it("the version and its hash stored from a thread are those stored in place", async () => {
      const read = async (api: ApiHarness) =>
        (await request(`${versionsUrl(api.url, "default", "same")}/7`)).body;
      const [a, b] = await Promise.all([read(offThread), read(inPlace)]);
      expect(field(a, "definitionHash")).toMatch(/^envforge_[0-9a-f]{32}$/);
      expect(comparable(a)).toBe(comparable(b));
      // The index's password is kept apart on both.
      expect(JSON.stringify(a)).not.toContain("secret");
    });
  },
);
