import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startChannelServer } from "./channel-server.js";
import type { ChannelServer } from "./channel-server.js";

let root: string;
let server: ChannelServer;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "envforge-channel-server-"));
  await mkdir(join(root, "noarch"));
  await writeFile(join(root, "noarch", "repodata.json"), '{"packages":{}}');
  await writeFile(join(tmpdir(), "envforge-outside.txt"), "secret");
  server = await startChannelServer({
    root,
    files: new Map([["mem/linux-64/repodata.json", Buffer.from('{"in":"memory"}')]]),
  });
});

afterEach(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
  await rm(join(tmpdir(), "envforge-outside.txt"), { force: true });
});

describe("startChannelServer", () => {
  it("listens on loopback and serves folder files with validators", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server.url}/noarch/repodata.json`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"packages":{}}');
    expect(response.headers.get("etag")).toMatch(/^W\/"/);
    expect(response.headers.get("last-modified")).not.toBeNull();
  });

  it("answers 304 to If-None-Match and If-Modified-Since", async () => {
    const first = await fetch(`${server.url}/noarch/repodata.json`);
    await first.arrayBuffer();
    const etag = first.headers.get("etag") ?? "";
    const byTag = await fetch(`${server.url}/noarch/repodata.json`, {
      headers: { "if-none-match": etag },
    });
    const byDate = await fetch(`${server.url}/noarch/repodata.json`, {
      headers: { "if-modified-since": first.headers.get("last-modified") ?? "" },
    });
    const stale = await fetch(`${server.url}/noarch/repodata.json`, {
      headers: { "if-none-match": 'W/"other"' },
    });
    expect([byTag.status, byDate.status, stale.status]).toEqual([304, 304, 200]);
    await stale.arrayBuffer();
    expect(server.requests.map((r) => [r.path, r.status, r.ifNoneMatch])).toEqual([
      ["/noarch/repodata.json", 200, undefined],
      ["/noarch/repodata.json", 304, etag],
      ["/noarch/repodata.json", 304, undefined],
      ["/noarch/repodata.json", 200, 'W/"other"'],
    ]);
  });

  it("serves in-memory files and 404s the rest, never leaving the folder", async () => {
    const memory = await fetch(`${server.url}/mem/linux-64/repodata.json`);
    expect(await memory.text()).toBe('{"in":"memory"}');
    const statuses = await Promise.all(
      ["/linux-64/repodata.json", "/../envforge-outside.txt", "/%2e%2e/envforge-outside.txt"].map(
        async (path) => (await fetch(`${server.url}${path}`)).status,
      ),
    );
    expect(statuses).toEqual([404, 404, 404]);
  });

  it("refuses to listen beyond loopback", async () => {
    await expect(startChannelServer({ root, host: "0.0.0.0" })).rejects.toThrow(
      "channel server must listen on loopback, not 0.0.0.0",
    );
  });
});
