/**
 * Request bodies are read as fastify reads them (src/api/read-body.ts copies each chunk into the
 * body as it arrives instead of joining them at the end): the same limit and answers with and
 * without Content-Length, on a real server on 127.0.0.1 with a 64 KiB body limit.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiHarness } from "./harness.js";
import { condaUpload, field, startApiHarness, versionsUrl } from "./harness.js";
import { rawRequest } from "../support/http-probe.js";

const LIMIT = 64 * 1024;

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness({ kind: "sqlite", adminUrl: undefined, bodyLimit: LIMIT });
});
afterAll(async () => api?.close());

/** POST with Transfer-Encoding: chunked (no Content-Length), the body in `parts` writes. */
function chunked(
  url: string,
  body: string,
  parts: number,
): Promise<{ status: number; body: unknown }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: "POST",
        path: target.pathname,
        headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown,
          }),
        );
      },
    );
    // The server may answer (413) and close before every part is written.
    req.on("error", reject);
    const size = Math.ceil(body.length / parts);
    for (let at = 0; at < body.length; at += size) req.write(body.slice(at, at + size));
    req.end();
  });
}

const counts = () => api.store.read((tx) => tx.countRows());

describe("request bodies", () => {
  it("a chunked registration reads as one with Content-Length", async () => {
    const body = JSON.stringify(condaUpload(["chunked-pkg"]));
    const url = versionsUrl(api.url, "default", "chunked");
    const first = await chunked(url, body, 7);
    expect(first.status).toBe(201);
    const again = await rawRequest({
      url,
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(again.status).toBe(200);
    expect(field(again.body, "version", "definitionHash")).toBe(
      field(first.body, "version", "definitionHash"),
    );
  });

  it("a chunked body over the limit gets 413 and writes nothing", async () => {
    const before = await counts();
    const upload = condaUpload(["big"]);
    const body = JSON.stringify({
      ...upload,
      files: { ...upload.files, "pad.txt": "x".repeat(LIMIT) },
    });
    const answer = await chunked(versionsUrl(api.url, "default", "big"), body, 16).catch(
      (error: unknown) => ({ status: 0, body: String(error) }),
    );
    // Either the 413 arrives, or the server closed before the client finished writing.
    if (answer.status !== 0) {
      expect(answer.status).toBe(413);
      expect(field(answer.body, "title")).toBe("Request body too large");
    }
    expect(await counts()).toEqual(before);
  });

  it("a Content-Length over the limit gets 413 before the body is read", async () => {
    const before = await counts();
    const answer = await rawRequest({
      url: versionsUrl(api.url, "default", "announced"),
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(LIMIT + 1) },
    });
    expect(answer.status).toBe(413);
    expect(field(answer.body, "title")).toBe("Request body too large");
    expect(await counts()).toEqual(before);
  });

  it("another JSON route reads a chunked body too", async () => {
    const answer = await chunked(`${api.url}/v1/workspaces`, JSON.stringify({ name: "chunks" }), 3);
    expect(answer.status).toBe(201);
    expect(field(answer.body, "name")).toBe("chunks");
  });
});
