import { mkdir, mkdtemp, readdir, rm, unlink, utimes, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExternalError } from "../errors/index.js";
import { startChannelServer } from "./channel-server.js";
import type { ChannelServer } from "./channel-server.js";
import type { Channel } from "./channels.js";
import { loadRepodata, RepodataMemory } from "./repodata-cache.js";

const RECORD = {
  name: "zlib",
  version: "1.2.11",
  build: "h7b6447c_3",
  build_number: 3,
  depends: ["libgcc-ng >=7.3.0"],
  sha256: "a".repeat(64),
  md5: "b".repeat(32),
  size: 120,
  subdir: "linux-64",
};

let work: string;
let channelDir: string;
let cacheDir: string;
let server: ChannelServer;
let channel: Channel;

async function writeRepodata(packages: Record<string, unknown>): Promise<void> {
  await mkdir(join(channelDir, "linux-64"), { recursive: true });
  const file = join(channelDir, "linux-64", "repodata.json");
  await writeFile(file, JSON.stringify({ info: { subdir: "linux-64" }, packages }));
}

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "envforge-repodata-"));
  channelDir = join(work, "channel");
  cacheDir = join(work, "cache");
  await writeRepodata({ "zlib-1.2.11-h7b6447c_3.tar.bz2": RECORD });
  server = await startChannelServer({ root: channelDir });
  channel = { name: "test", url: `${server.url}` };
});

afterEach(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

describe("loadRepodata", () => {
  it("downloads once, then revalidates with the validators the channel gave", async () => {
    const first = await loadRepodata({ channel, subdir: "linux-64", cacheDir });
    const second = await loadRepodata({ channel, subdir: "linux-64", cacheDir });
    expect([first.source, second.source]).toEqual(["downloaded", "revalidated"]);
    expect(second.body.equals(first.body)).toBe(true);
    expect(second.index.record("zlib-1.2.11-h7b6447c_3.tar.bz2")).toEqual({
      filename: "zlib-1.2.11-h7b6447c_3.tar.bz2",
      name: "zlib",
      version: "1.2.11",
      build: "h7b6447c_3",
      buildNumber: 3,
      subdir: "linux-64",
      depends: ["libgcc-ng >=7.3.0"],
      constrains: [],
      sha256: "a".repeat(64),
      md5: "b".repeat(32),
      size: 120,
    });
    const [download, revalidation] = server.requests;
    expect(download?.ifNoneMatch).toBeUndefined();
    expect(revalidation?.ifNoneMatch).toMatch(/^W\//);
    expect(revalidation?.ifModifiedSince).toMatch(/GMT$/);
    expect(revalidation?.status).toBe(304);
  });

  it("downloads again when the channel changed", async () => {
    await loadRepodata({ channel, subdir: "linux-64", cacheDir });
    await writeRepodata({});
    const later = new Date(Date.now() + 5_000);
    await utimes(join(channelDir, "linux-64", "repodata.json"), later, later);
    const changed = await loadRepodata({ channel, subdir: "linux-64", cacheDir });
    expect(changed.source).toBe("downloaded");
    expect(changed.index.size).toBe(0);
  });

  it("works offline from the cache, and says so when nothing is cached", async () => {
    await loadRepodata({ channel, subdir: "linux-64", cacheDir });
    await server.close();
    const offline = await loadRepodata({ channel, subdir: "linux-64", cacheDir, offline: true });
    expect(offline.source).toBe("cache");
    expect(offline.index.size).toBe(1);
    await expect(
      loadRepodata({ channel, subdir: "noarch", cacheDir, offline: true }),
    ).rejects.toThrow(
      `channel "test": no cached repodata for noarch (${server.url}/noarch/repodata.json) and offline mode is on`,
    );
  });

  it("names the channel and URL when it cannot be reached", async () => {
    await server.close();
    const failure = loadRepodata({ channel, subdir: "linux-64", cacheDir });
    await expect(failure).rejects.toBeInstanceOf(ExternalError);
    await expect(failure).rejects.toThrow(
      `channel "test" could not be reached at ${server.url}/linux-64/repodata.json: ECONNREFUSED`,
    );
  });

  it("keeps credentials out of messages and the cache", async () => {
    const secret = { name: "private", url: server.url.replace("http://", "http://me:pw@") };
    const loaded = await loadRepodata({ channel: secret, subdir: "linux-64", cacheDir });
    expect(loaded.url).toBe(`${server.url}/linux-64/repodata.json`);
    const meta = (await readdir(cacheDir)).filter((name) => name.endsWith(".meta.json"));
    expect(meta).toHaveLength(1);
  });

  it("treats a missing subdir as empty and a broken body as the channel's fault", async () => {
    const missing = await loadRepodata({ channel, subdir: "osx-64", cacheDir });
    expect([missing.source, missing.index.size]).toEqual(["missing", 0]);
    await mkdir(join(channelDir, "noarch"));
    await writeFile(join(channelDir, "noarch", "repodata.json"), "<html>");
    await expect(loadRepodata({ channel, subdir: "noarch", cacheDir })).rejects.toThrow(
      `channel "test" served ${server.url}/noarch/repodata.json, which is not valid JSON`,
    );
    // Not cached: the next attempt asks again instead of replaying the broken body.
    expect(await readdir(cacheDir).catch(() => [])).not.toContainEqual(
      expect.stringMatching(/noarch/),
    );
  });

  it("reads local-folder channels from disk", async () => {
    const local = { name: "./channel", url: `file://${channelDir}`, localPath: channelDir };
    const loaded = await loadRepodata({ channel: local, subdir: "linux-64", cacheDir });
    const missing = await loadRepodata({ channel: local, subdir: "noarch", cacheDir });
    expect([loaded.source, loaded.index.size, missing.source]).toEqual(["local", 1, "missing"]);
    expect(server.requests).toEqual([]);
  });

  it("downloads again when the cached body is gone but its validators are not", async () => {
    await loadRepodata({ channel, subdir: "linux-64", cacheDir });
    const [body] = (await readdir(cacheDir)).filter((name) => !name.endsWith(".meta.json"));
    await unlink(join(cacheDir, body ?? ""));
    const again = await loadRepodata({ channel, subdir: "linux-64", cacheDir });
    expect(again.source).toBe("downloaded");
    expect(server.requests.map((r) => r.status)).toEqual([200, 304, 200]);
  });

  it("keeps parsed repodata in memory across loads while the validators hold", async () => {
    const memory = new RepodataMemory();
    const first = await loadRepodata({ channel, subdir: "linux-64", cacheDir, memory });
    const second = await loadRepodata({ channel, subdir: "linux-64", cacheDir, memory });
    expect(second.source).toBe("revalidated");
    expect(second.index).toBe(first.index);
    await writeRepodata({});
    const later = new Date(Date.now() + 5_000);
    await utimes(join(channelDir, "linux-64", "repodata.json"), later, later);
    const changed = await loadRepodata({ channel, subdir: "linux-64", cacheDir, memory });
    expect([changed.source, changed.index.size]).toEqual(["downloaded", 0]);
  });

  it("says so when a download breaks off, and caches nothing", async () => {
    const broken = createServer((_request, response) => {
      response.writeHead(200, { "content-length": "100000" });
      response.write('{"packages": {');
      setTimeout(() => response.destroy(), 20);
    });
    await new Promise<void>((done) => broken.listen(0, "127.0.0.1", done));
    const { port } = broken.address() as AddressInfo;
    try {
      const flaky = { name: "flaky", url: `http://127.0.0.1:${port}` };
      await expect(loadRepodata({ channel: flaky, subdir: "noarch", cacheDir })).rejects.toThrow(
        `channel "flaky": the download of http://127.0.0.1:${port}/noarch/repodata.json broke off: UND_ERR_SOCKET`,
      );
      expect(await readdir(cacheDir).catch(() => [])).toEqual([]);
    } finally {
      broken.closeAllConnections();
      await new Promise((done) => broken.close(done));
    }
  });
});
