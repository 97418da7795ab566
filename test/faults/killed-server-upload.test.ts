/**
 * A server killed during uploads (issue 13, point 9): `envforge serve` runs as its own process on
 * a SQLite workspace; while one large registration is half sent and another was sent whole, the
 * server gets kill -9. After a restart on the same workspace there is no partial version, and
 * the next registration works. Real processes, real sockets on 127.0.0.1.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { withLoopbackDefaults } from "../support/loopback-defaults.js";

const MAIN = resolve(import.meta.dirname, "../../src/cli/main.ts");
const Serving = z.object({ url: z.string() });
const Versions = z.looseObject({
  items: z.array(z.looseObject({ version: z.number() })),
});

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
}

/** `envforge serve --port 0 --json` in its own process; resolves with its URL. */
async function serve(home: string): Promise<Served> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", MAIN, "serve", "--port", "0", "--json"],
    {
      env: withLoopbackDefaults({
        PATH: process.env["PATH"],
        HOME: home,
        ENVFORGE_HOME: home,
        ENVFORGE_CONFIG: join(home, "missing.yaml"),
      }),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not start: ${stderr}`)), 30_000);
    lines.once("line", (line) => {
      clearTimeout(timer);
      done(Serving.parse(JSON.parse(line)).url);
    });
    child.once("exit", (code) => fail(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { child, url };
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once("exit", () => done());
    child.kill("SIGKILL");
  });
}

function registration(requirement: string, comment = ""): string {
  return JSON.stringify({
    entry: "requirements.txt",
    files: { "requirements.txt": `${requirement}\n# ${comment}\n` },
  });
}

/** Sends the request head and `part` of the body over a raw socket; the rest never comes. */
async function startUpload(url: string, body: string, part: number): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  socket.on("error", () => undefined);
  await new Promise<void>((done) => socket.once("connect", () => done()));
  const bytes = Buffer.from(body);
  socket.write(
    `POST /v1/workspaces/default/environments/upload/versions HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\ncontent-length: ${bytes.length}\r\n\r\n`,
  );
  await new Promise<void>((done) =>
    socket.write(bytes.subarray(0, Math.floor(bytes.length * part)), () => done()),
  );
  return socket;
}

describe("a server killed during uploads", () => {
  let home: string;
  let served: Served | undefined;

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), "envforge-killed-upload-"));
  });
  afterAll(async () => {
    if (served !== undefined) await killed(served.child);
    if (home !== undefined) rmSync(home, { recursive: true, force: true });
  });

  async function versions(url: string): Promise<number[]> {
    const response = await fetch(`${url}/v1/workspaces/default/environments/upload/versions`);
    expect(response.status).toBe(200);
    return Versions.parse(await response.json()).items.map((item) => item.version);
  }

  it("leaves no partial version, and the next registration works", async () => {
    served = await serve(home);
    const first = await fetch(`${served.url}/v1/workspaces/default/environments/upload/versions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: registration("six==1.16.0"),
    });
    expect(first.status, await first.clone().text()).toBe(201);

    // A new definition (another pin) in a large body: had it been stored, it would be version 2.
    const large = registration("six==1.14.0", "x".repeat(4 * 1024 * 1024));
    const halfSent = await startUpload(served.url, large, 0.5);
    await killed(served.child);
    halfSent.destroy();

    served = await serve(home);
    expect(await versions(served.url)).toEqual([1]);
    const next = await fetch(`${served.url}/v1/workspaces/default/environments/upload/versions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: registration("six==1.15.0"),
    });
    expect(next.status, await next.clone().text()).toBe(201);
    expect(await versions(served.url)).toEqual([2, 1]);

    // Whole bodies in flight when the server dies: each is stored whole or not at all.
    const pins = ["1.10.0", "1.11.0", "1.12.0", "1.13.0", "1.9.0"].map((v) => `six==${v}`);
    const comment = "y".repeat(512 * 1024);
    const inFlight = pins.map((pin) =>
      fetch(`${served!.url}/v1/workspaces/default/environments/upload/versions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: registration(pin, comment),
      }).catch(() => undefined),
    );
    await new Promise((done) => setTimeout(done, 30));
    await killed(served.child);
    await Promise.all(inFlight);
    served = await serve(home);
    const stored = await versions(served.url);
    expect([...stored].sort((a, b) => a - b)).toEqual(stored.map((_, i) => i + 1));
    for (const version of stored.filter((v) => v > 2)) {
      const response = await fetch(
        `${served.url}/v1/workspaces/default/environments/upload/versions/${version}`,
      );
      const shown = z
        .looseObject({ sourceFiles: z.record(z.string(), z.string()) })
        .parse(await response.json());
      const text = shown.sourceFiles["requirements.txt"] ?? "";
      expect(pins.map((pin) => `${pin}\n# ${comment}\n`)).toContain(text);
    }
    const after = await fetch(`${served.url}/v1/workspaces/default/environments/upload/versions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: registration("six==1.8.0"),
    });
    expect(after.status, await after.clone().text()).toBe(201);

    // The workspace holds only complete files: no journal or temporary left beside it.
    expect(readdirSync(home).filter((name) => /-journal$|\.tmp$/.test(name))).toEqual([]);
  }, 120_000);
});
