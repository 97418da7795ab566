/**
 * Bad input through the API gets a 4xx problem body that says what is wrong, and writes
 * nothing: each case compares the store's row counts before and after. 400 is a request this
 * route does not accept (not JSON, wrong envelope); 413 a body over the limit; 422 well-formed
 * content that is invalid (definitions, names, file paths).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_BODY_LIMIT } from "../../src/api/app.js";
import { harnessKinds } from "../workspace/fixtures.js";
import type { ApiHarness } from "./harness.js";
import { condaUpload, field, request, startApiHarness, versionsUrl } from "./harness.js";

const { kinds, adminUrl } = await harnessKinds();

interface Case {
  readonly title: string;
  readonly name?: string;
  readonly body?: unknown;
  readonly raw?: string;
  readonly status: number;
  readonly error: string;
  /** A part of `detail` the user must see. */
  readonly detail: string;
}

const CASES: readonly Case[] = [
  {
    title: "malformed YAML",
    body: { entry: "environment.yml", files: { "environment.yml": "dependencies: [numpy\n" } },
    status: 422,
    error: "validation",
    detail: "environment.yml",
  },
  {
    title: "an unknown key in envforge.yaml",
    body: {
      entry: "envforge.yaml",
      files: { "envforge.yaml": "name: x\nimage: 127.0.0.1:5000/base:1\ncolour: red\n" },
    },
    status: 422,
    error: "validation",
    detail: "colour",
  },
  {
    title: "an unknown key in the request",
    body: { ...condaUpload(["numpy"]), colour: "red" },
    status: 400,
    error: "bad-request",
    detail: "colour",
  },
  {
    title: "a body that is not JSON",
    raw: "{ not json",
    status: 400,
    error: "bad-request",
    detail: "JSON",
  },
  {
    title: "an invalid environment name",
    name: "no%20spaces%20allowed",
    body: condaUpload(["numpy"]),
    status: 422,
    error: "validation",
    detail: 'not a valid environment name (found "no spaces allowed"',
  },
  {
    title: "the reserved curated prefix",
    name: "envforge-mine",
    body: condaUpload(["numpy"]),
    status: 422,
    error: "validation",
    detail: 'the prefix "envforge-" is reserved',
  },
  {
    title: "a file name climbing out with ..",
    body: {
      entry: "environment.yml",
      files: { ...condaUpload(["numpy"]).files, "../../etc/cron.d/x": "boom" },
    },
    status: 422,
    error: "validation",
    detail: 'file name climbs out with ".." (found "../../etc/cron.d/x"',
  },
  {
    title: "an absolute file name",
    body: { entry: "/etc/passwd", files: { "/etc/passwd": "root" } },
    status: 422,
    error: "validation",
    detail: "file name is absolute",
  },
  {
    title: "a NUL in a file name",
    body: { entry: "environment.yml", files: { ...condaUpload([]).files, "a\u0000b": "x" } },
    status: 422,
    error: "validation",
    detail: "NUL or control character",
  },
  {
    title: "a conda_file outside the upload",
    body: {
      entry: "envforge.yaml",
      files: { "envforge.yaml": "image: 127.0.0.1:5000/base:1\nconda_file: ../../../etc/passwd\n" },
    },
    status: 422,
    error: "validation",
    detail: 'conda_file: refers to a file outside the upload (found "../../../etc/passwd"',
  },
  {
    title: "an absolute pip include",
    body: { entry: "requirements.txt", files: { "requirements.txt": "-r /etc/passwd\nnumpy\n" } },
    status: 422,
    error: "validation",
    detail: 'refers to a file outside the upload (found "/etc/passwd"',
  },
  {
    title: "a build context outside the upload",
    body: {
      entry: "envforge.yaml",
      files: { "envforge.yaml": "build:\n  path: /\n" },
    },
    status: 422,
    error: "validation",
    detail: "build.path: refers to a file outside the upload",
  },
];

describe.each(kinds)("bad input on %s", (kind) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness({ kind, adminUrl });
  });
  afterAll(async () => api?.close());

  it.each(CASES)("$title: $status, nothing written", async (c) => {
    const before = await api.store.read((tx) => tx.countRows());
    const answer = await request(versionsUrl(api.url, "default", c.name ?? "demo"), {
      ...(c.body === undefined ? {} : { body: c.body }),
      ...(c.raw === undefined ? {} : { raw: c.raw }),
    });
    expect(answer.status).toBe(c.status);
    expect(answer.contentType).toContain("application/problem+json");
    expect(field(answer.body, "status")).toBe(c.status);
    expect(field(answer.body, "error")).toBe(c.error);
    expect(String(field(answer.body, "detail"))).toContain(c.detail);
    // The server's temporary folder never shows in what the user reads.
    expect(JSON.stringify(answer.body)).not.toContain("envforge-upload-");
    expect(await api.store.read((tx) => tx.countRows())).toEqual(before);
  });

  it("refuses a body over the documented limit with 413 and writes nothing", async () => {
    const before = await api.store.read((tx) => tx.countRows());
    const upload = condaUpload(["numpy"]);
    const big = {
      ...upload,
      files: { ...upload.files, "padding.txt": "x".repeat(DEFAULT_BODY_LIMIT) },
    };
    const answer = await request(versionsUrl(api.url, "default", "demo"), { body: big });
    expect(answer.status).toBe(413);
    expect(field(answer.body, "title")).toBe("Request body too large");
    expect(await api.store.read((tx) => tx.countRows())).toEqual(before);
  });

  it("refuses a body that is not JSON by its content type with 415", async () => {
    const before = await api.store.read((tx) => tx.countRows());
    const response = await fetch(versionsUrl(api.url, "default", "demo"), {
      method: "POST",
      headers: { "content-type": "application/yaml" },
      body: "channels: [defaults]\n",
    });
    expect(response.status).toBe(415);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(await response.json()).toMatchObject({ status: 415, title: "Unsupported media type" });
    expect(await api.store.read((tx) => tx.countRows())).toEqual(before);
  });

  it("lists every problem of a definition at once, with file, line and key", async () => {
    const answer = await request(versionsUrl(api.url, "default", "demo"), {
      body: {
        entry: "environment.yml",
        files: { "environment.yml": "dependencies:\n  - numpy>>1\n  - scipy<<2\n" },
      },
    });
    expect(answer.status).toBe(422);
    const problems = field(answer.body, "problems");
    expect(Array.isArray(problems) ? problems.map((p) => field(p, "key")) : []).toEqual([
      "dependencies[0]",
      "dependencies[1]",
    ]);
    expect(field(answer.body, "problems", 0, "file")).toBe("environment.yml");
    expect(field(answer.body, "problems", 0, "line")).toBe(2);
  });
});
