/**
 * A registry that lies (issue 13, defect 4): it answers 200 to everything with garbage, sends a
 * Docker-Content-Digest that is not the body's, serves a manifest under a type that is no
 * manifest type, or serves a config blob whose bytes are not its digest. Each time the build
 * fails naming the registry, and `env show --image` does not say built. Real CLI, real SQLite
 * workspace, a real HTTP server on 127.0.0.1 as the registry.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { dockerClient, dockerProblem, engineGate } from "../support/docker.js";
import { BASE_IMAGE, registryProblem } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const gate = engineGate(
  "Docker engine and base image",
  (await dockerProblem(dockerClient())) ?? (await registryProblem()),
);

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const CONFIG = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}}');
const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: sha256(CONFIG),
      size: CONFIG.length,
    },
    layers: [],
  }),
);

function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

type Lie = (request: IncomingMessage, response: ServerResponse) => void;

const lies: Record<string, Lie> = {
  "answers 200 with garbage to everything": (_request, response) => {
    response.writeHead(200, { "content-type": "text/html" });
    response.end("<html>welcome</html>");
  },
  "sends a digest header that is not the body's": (_request, response) => {
    response.writeHead(200, {
      "content-type": OCI_MANIFEST,
      "docker-content-digest": `sha256:${"ab".repeat(32)}`,
    });
    response.end(MANIFEST);
  },
  "serves the manifest under a type that is no manifest type": (_request, response) => {
    response.writeHead(200, {
      "content-type": "application/json",
      "docker-content-digest": sha256(MANIFEST),
    });
    response.end(MANIFEST);
  },
  "serves a config blob whose bytes are not its digest": (request, response) => {
    if (request.url?.includes("/blobs/") === true) {
      response.writeHead(200, { "content-type": "application/octet-stream" });
      response.end("not the config");
      return;
    }
    response.writeHead(200, {
      "content-type": OCI_MANIFEST,
      "docker-content-digest": sha256(MANIFEST),
    });
    response.end(request.method === "HEAD" ? undefined : MANIFEST);
  },
};

/** What the failure says for each lie. */
const says: Record<string, string> = {
  "answers 200 with garbage to everything": 'content type "text/html" is not a manifest type',
  "sends a digest header that is not the body's": `Docker-Content-Digest "sha256:${"ab".repeat(32)}" does not match the body`,
  "serves the manifest under a type that is no manifest type":
    'content type "application/json" is not a manifest type',
  "serves a config blob whose bytes are not its digest": `served blob ${sha256(CONFIG)} with bytes that hash to`,
};

const Shown = z.looseObject({ existsInRegistry: z.boolean() });

describe.skipIf(gate.skip)("a registry that lies", () => {
  let dir: string;
  let server: Server | undefined;

  beforeAll(() => {
    gate.require();
    dir = mkdtempSync(join(tmpdir(), "envforge-lying-registry-"));
    writeFileSync(join(dir, "Dockerfile"), `FROM ${BASE_IMAGE}\nRUN echo lying-registry\n`);
  });
  afterEach(async () => {
    const closing = server;
    server = undefined;
    if (closing === undefined) return;
    closing.closeAllConnections();
    await new Promise<void>((done) => closing.close(() => done()));
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it.each(Object.keys(lies))(
    "fails the build when it %s, naming it",
    async (what) => {
      const lie = lies[what];
      if (lie === undefined) throw new Error(what);
      const requests: string[] = [];
      server = createServer((request, response) => {
        requests.push(`${request.method} ${request.url}`);
        lie(request, response);
      });
      await new Promise<void>((done) => server?.listen(0, "127.0.0.1", done));
      const { port } = server.address() as AddressInfo;
      const registry = `127.0.0.1:${port}`;
      const env = {
        ENVFORGE_HOME: join(dir, `home-${port}`),
        ENVFORGE_CONFIG: join(dir, "missing.yaml"),
        ENVFORGE_REGISTRY: `${registry}/envforge`,
        HOME: dir,
      };
      const created = await cli(["env", "create", "-f", "Dockerfile", "-n", "lied-to"], {
        cwd: dir,
        env,
      });
      expect(created.code, created.stderr).toBe(0);

      const built = await cli(["env", "build", "lied-to", "--json"], { cwd: dir, env });
      expect(built.code).not.toBe(0);
      expect(built.stderr).toContain(`registry ${registry}`);
      expect(built.stderr).toContain(says[what]);
      expect(requests.some((line) => line.startsWith("HEAD /v2/envforge/envforge_"))).toBe(true);

      const shown = await cli(["env", "show", "lied-to", "--image", "--json"], { cwd: dir, env });
      expect(shown.code, shown.stderr).toBe(0);
      expect(Shown.parse(JSON.parse(shown.stdout)).existsInRegistry).toBe(false);
      const text = await cli(["env", "show", "lied-to", "--image"], { cwd: dir, env });
      expect(text.stdout).not.toContain("built:       yes");
    },
    120_000,
  );
});
