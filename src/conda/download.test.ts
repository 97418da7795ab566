import { createHash } from "node:crypto";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadVerified, redactUrl } from "./download.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-download-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("redactUrl", () => {
  it.each([
    [
      "https://user:pw@conda.invalid/t/tok-1/main/x.conda",
      "https://conda.invalid/t/***/main/x.conda",
    ],
    ["http://127.0.0.1:8080/ch/noarch/x.conda", "http://127.0.0.1:8080/ch/noarch/x.conda"],
    ["not a url", "<invalid URL>"],
  ])("%s → %s", (url, shown) => expect(redactUrl(url)).toBe(shown));
});

describe("downloadVerified", () => {
  it("copies a file: URL and checks its sha256", async () => {
    const source = join(dir, "pkg.conda");
    await writeFile(source, "package bytes");
    const sha256 = createHash("sha256").update("package bytes").digest("hex");
    const destination = join(dir, "out.part");
    const progress: number[] = [];
    const result = await downloadVerified({
      url: pathToFileURL(source).toString(),
      destination,
      sha256,
      label: "pkg.conda",
      onBytes: (received) => progress.push(received),
    });
    expect(result).toEqual({ bytes: 13, attempts: 1 });
    expect(progress.at(-1)).toBe(13);
    expect(await readFile(destination, "utf8")).toBe("package bytes");
  });

  it("fails at once on a missing local file", async () => {
    const missing = pathToFileURL(join(dir, "missing.conda")).toString();
    await expect(
      downloadVerified({
        url: missing,
        destination: join(dir, "m.part"),
        sha256: "c".repeat(64),
        label: "missing-1-0.conda",
        sleep: () => Promise.reject(new Error("retried")),
      }),
    ).rejects.toThrow(
      /^missing-1-0\.conda: download from file:\/\/.*missing\.conda failed: ENOENT/,
    );
  });

  it("removes the file and names the package when the bytes are wrong", async () => {
    const source = join(dir, "bad.conda");
    await writeFile(source, "other bytes");
    const destination = join(dir, "bad.part");
    const actual = createHash("sha256").update("other bytes").digest("hex");
    await expect(
      downloadVerified({
        url: pathToFileURL(source).toString(),
        destination,
        sha256: "b".repeat(64),
        label: "bad-1-0.conda",
      }),
    ).rejects.toThrow(`bad-1-0.conda: sha256 mismatch (expected ${"b".repeat(64)}, got ${actual})`);
    await expect(access(destination)).rejects.toThrow();
  });
});

/** A channel that sends the headers and 1,000 of 100,000 bytes, then stalls (or never answers). */
async function stallingChannel(): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer((request, response) => {
    hits += 1;
    if (request.url?.includes("silent") === true) return;
    response.writeHead(200, { "content-length": "100000" });
    response.write(Buffer.alloc(1000, 1));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, hits: () => hits };
}

describe("downloadVerified deadlines", () => {
  let channel: Awaited<ReturnType<typeof stallingChannel>>;
  beforeAll(async () => {
    channel = await stallingChannel();
  });
  afterAll(() => {
    channel.server.closeAllConnections();
    return new Promise<void>((done) => channel.server.close(() => done()));
  });

  it("gives up a body that stops mid-package, retries, and says why", async () => {
    const destination = join(dir, "stall.part");
    const started = performance.now();
    await expect(
      downloadVerified({
        url: `${channel.url}/main/noarch/stall-1-0.conda`,
        destination,
        sha256: "d".repeat(64),
        label: "stall-1-0.conda",
        idleTimeoutMs: 300,
        retries: 1,
        backoffMs: 10,
      }),
    ).rejects.toThrow(
      /^stall-1-0\.conda: download from http:\/\/127\.0\.0\.1:\d+\/main\/noarch\/stall-1-0\.conda failed after 2 attempts: no bytes received within 0\.3 s after 1000 bytes$/,
    );
    expect(performance.now() - started).toBeLessThan(5000);
    await expect(access(destination)).rejects.toThrow();
  });

  it("gives up a channel that never answers within the connect deadline", async () => {
    await expect(
      downloadVerified({
        url: `${channel.url}/silent/x-1-0.conda`,
        destination: join(dir, "silent.part"),
        sha256: "d".repeat(64),
        label: "x-1-0.conda",
        connectTimeoutMs: 200,
        retries: 0,
      }),
    ).rejects.toThrow(/failed: no answer within 0\.2 s$/);
  });

  it("stops at once when the caller aborts, with the caller's reason and no retry", async () => {
    const before = channel.hits();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("build canceled")), 100);
    const started = performance.now();
    await expect(
      downloadVerified({
        url: `${channel.url}/main/noarch/cancel-1-0.conda`,
        destination: join(dir, "cancel.part"),
        sha256: "d".repeat(64),
        label: "cancel-1-0.conda",
        idleTimeoutMs: 60_000,
        signal: controller.signal,
      }),
    ).rejects.toThrow(/^build canceled$/);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(channel.hits() - before).toBe(1);
  });
});
