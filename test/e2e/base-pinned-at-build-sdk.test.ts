/**
 * The SDK's in-process path (Workspace.open: the in-process workspace client, build and run in
 * this process) pins at the first build a base registration could not reach. The base is named
 * through a loopback gate in front of the plain registry: while registering, the gate resets
 * every connection (the version is stored with a base-image problem and an unpinned FROM); then
 * it forwards, and `build` pins the base, writes the pinned lock into the version once, and the
 * image details, a second build (a cache hit, nothing pinned again) and a job all name the image
 * of the pinned lock.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Environment, Workspace } from "../../src/sdk/index.js";
import type { Problem } from "../../src/sdk/index.js";
import { DOCKER_CLI, docker, gate, run } from "../build/harness.js";
import { removeImage } from "../support/docker.js";
import { withLoopbackDefaults } from "../support/loopback-defaults.js";
import { PLAIN_REGISTRY } from "../support/registry.js";

/** A TCP gate to the plain registry: closed (every connection reset) until `open()`. */
async function registryGate(): Promise<{ address: string; open(): void; close(): Promise<void> }> {
  const [host = "127.0.0.1", port = "5000"] = PLAIN_REGISTRY.split(":");
  let open = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    if (!open) {
      socket.resetAndDestroy();
      return;
    }
    const upstream = connect(Number(port), host);
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    socket.pipe(upstream).pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    open: () => {
      open = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.skipIf(gate.skip)("the SDK's in-process build pins a base left unpinned", () => {
  let dir: string;
  let ws: Workspace;
  let registry: Awaited<ReturnType<typeof registryGate>>;
  const warnings: Problem[] = [];
  const images = new Set<string>();
  let pulled: string | undefined;

  beforeAll(async () => {
    gate.require();
    dir = await mkdtemp(join(tmpdir(), "envforge-pin-sdk-"));
    registry = await registryGate();
    ws = await Workspace.open({
      env: withLoopbackDefaults({
        ENVFORGE_HOME: join(dir, "home"),
        ENVFORGE_CONFIG: join(dir, "missing.yaml"),
        ENVFORGE_REGISTRY: "",
        ENVFORGE_SERVER: "",
        ENVFORGE_BUILDER: "docker",
        HOME: dir,
      }),
      onWarning: (warning) => warnings.push(warning),
    });
  });
  afterAll(async () => {
    await ws?.close();
    await registry?.close();
    for (const id of images) await removeImage(docker, id);
    if (pulled !== undefined) await run(DOCKER_CLI, ["image", "rm", pulled]).catch(() => undefined);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("registers with the registry out of reach, then pins at the first build, once", async () => {
    const base = `${registry.address}/envforge/debian:bookworm`;
    const marker = `pin-sdk-${randomBytes(4).toString("hex")}`;
    const env = Environment.fromDockerfile(
      "pinsdk",
      `FROM ${base}\nRUN echo ${marker} > /marker.txt\n`,
    );
    await env.register(ws);
    expect(ws.lastLock?.problems.map((p) => p.part)).toContain("base-image");
    expect(ws.lastLock?.problems.find((p) => p.part === "base-image")?.reason).toContain(base);
    expect(warnings.map((w) => w.key ?? "")).toContain("lock.base-image");
    const registered = await ws.getVersion("pinsdk");
    expect(registered.lock?.baseImages ?? []).toEqual([]);
    const before = await ws.getImageDetails("pinsdk");
    expect(before.ingredients.dockerfile).toContain(`FROM ${base}\n`);

    registry.open();
    const { stdout } = await run(DOCKER_CLI, [
      "image",
      "inspect",
      "--format",
      "{{range .RepoDigests}}{{println .}}{{end}}",
      `${PLAIN_REGISTRY}/envforge/debian:bookworm`,
    ]);
    const digest = stdout
      .split("\n")
      .find((line) => line.startsWith(`${PLAIN_REGISTRY}/envforge/debian@`))
      ?.split("@")[1];
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    pulled = `${registry.address}/envforge/debian@${digest ?? ""}`;

    const first = await ws.build("pinsdk");
    if (first.image.id !== null) images.add(first.image.id);
    expect(first, first.reason ?? "").toMatchObject({ state: "succeeded", cacheHit: false });
    const pinned = await ws.getVersion("pinsdk");
    expect(pinned.lock?.baseImages).toEqual([{ reference: base, digest }]);
    expect(pinned.definitionHash).toBe(registered.definitionHash);
    expect(first.imageHash).not.toBe(before.imageHash);

    // The in-process workspace client: the pinned FROM, and the image the build made.
    const details = await ws.getImageDetails("pinsdk");
    expect(details.imageHash).toBe(first.imageHash);
    expect(details.ingredients.dockerfile).toContain(`FROM ${base}@${digest ?? ""}\n`);
    expect(details.image.id).toBe(first.image.id);

    // Pinned once: a second build is the same image, and the stored lock is unchanged.
    const second = await ws.build("pinsdk");
    expect(second).toMatchObject({ state: "succeeded", cacheHit: true });
    expect(second.imageHash).toBe(first.imageHash);
    expect((await ws.getVersion("pinsdk")).lock).toEqual(pinned.lock);

    // A job runs in that image and records its hash.
    const output: string[] = [];
    const job = await ws.run("pinsdk", ["cat", "/marker.txt"], {
      onOutput: (chunk) => output.push(chunk.text),
    });
    expect(job).toMatchObject({ state: "succeeded", exitCode: 0, imageHash: first.imageHash });
    expect(output.join("")).toBe(`${marker}\n`);
  }, 300_000);

  it("runs a version left unpinned: the build pins it, and the job names the pinned image", async () => {
    const base = `${registry.address}/envforge/debian:bookworm`;
    const closed = await registryGate();
    try {
      const shut = `${closed.address}/envforge/debian:bookworm`;
      const env = Environment.fromDockerfile("pinsdkrun", `FROM ${shut}\nFROM ${base}\n`);
      await env.register(ws);
      expect(ws.lastLock?.problems.map((p) => p.part)).toContain("base-image");
      closed.open();
      const job = await ws.run("pinsdkrun", ["true"]);
      const version = await ws.getVersion("pinsdkrun");
      expect(version.lock?.baseImages?.map((b) => b.reference)).toEqual([shut, base]);
      const details = await ws.getImageDetails("pinsdkrun");
      if (details.image.id !== null) images.add(details.image.id);
      expect(job).toMatchObject({ state: "succeeded", exitCode: 0 });
      expect(job.imageHash).toBe(details.imageHash);
    } finally {
      await closed.close();
    }
  }, 300_000);
});
