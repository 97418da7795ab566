/**
 * Registry behaviours the real loopback registries do not show: a registry that sends no
 * Docker-Content-Digest, one whose token realm is plain HTTP off loopback, refusals, errors and
 * silence, redirects to a storage host. The peer is a small HTTP server on 127.0.0.1 answering
 * as such registries do.
 */
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { ExternalError } from "../../src/errors/index.js";
import { anonymousCredentials } from "../../src/image/credentials.js";
import { HttpRegistry } from "../../src/image/http-registry.js";
import { RegistryAuthError } from "../../src/image/registry-errors.js";

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

async function peer(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return `127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
}

describe("HttpRegistry with unusual registries", () => {
  it("hashes the manifest when the registry sends no Docker-Content-Digest", async () => {
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { digest: `sha256:${"c".repeat(64)}` },
      layers: [],
    });
    const methods: string[] = [];
    const registry = await peer((request, response) => {
      methods.push(`${request.method} ${request.url}`);
      response.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
      response.end(request.method === "HEAD" ? undefined : manifest);
    });
    const client = new HttpRegistry({ credentials: anonymousCredentials });
    expect(await client.manifestExists(`${registry}/a/b:1`)).toEqual({
      exists: true,
      digest: `sha256:${createHash("sha256").update(manifest).digest("hex")}`,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
    });
    expect(methods).toEqual(["HEAD /v2/a/b/manifests/1", "GET /v2/a/b/manifests/1"]);
  });

  it("sends no credentials to a token realm on plain HTTP off loopback", async () => {
    const registry = await peer((_request, response) => {
      response.writeHead(401, {
        "www-authenticate": 'Bearer realm="http://realm.invalid/token",service="s"',
      });
      response.end();
    });
    const urls: string[] = [];
    const client = new HttpRegistry({
      credentials: {
        description: "a test source",
        find: () => Promise.resolve({ username: "u", password: "p4ss", source: "a test source" }),
      },
      fetch: (url, init) => {
        urls.push(url);
        return fetch(url, init);
      },
    });
    const error = await client.manifestExists(`${registry}/a/b:1`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect((error as Error).message).toBe(
      `registry ${registry} sent the token realm http://realm.invalid/token, which is neither HTTPS nor loopback; envforge sends no credentials or tokens there`,
    );
    expect(urls).toEqual([`http://${registry}/v2/a/b/manifests/1`]);
  });

  it("reports a 403 as a refusal naming the repository", async () => {
    const registry = await peer((_request, response) => {
      response.writeHead(403, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          errors: [{ code: "DENIED", message: "requested access to the resource is denied" }],
        }),
      );
    });
    const client = new HttpRegistry({ credentials: anonymousCredentials });
    await expect(client.blobExists(`${registry}/a/b`, `sha256:${"1".repeat(64)}`)).rejects.toThrow(
      new RegistryAuthError(
        `registry ${registry} denied anonymous access to repository a/b (HEAD /v2/a/b/blobs/sha256:${"1".repeat(64)}: HTTP 403 Forbidden)`,
        { registry, status: 403 },
      ),
    );
  });

  it("reports a server error with its status", async () => {
    const registry = await peer((_request, response) => {
      response.writeHead(503);
      response.end();
    });
    const client = new HttpRegistry({ credentials: anonymousCredentials });
    const error = await client.manifestExists(`${registry}/a/b:1`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toBe(
      `registry ${registry} failed HEAD /v2/a/b/manifests/1: HTTP 503 Service Unavailable`,
    );
  });

  it("gives up on a registry that does not answer", async () => {
    const registry = await peer(() => undefined);
    const client = new HttpRegistry({ credentials: anonymousCredentials, timeoutMs: 200 });
    await expect(client.manifestExists(`${registry}/a/b:1`)).rejects.toThrow(
      `registry ${registry} could not be reached: no answer within 0.2 s`,
    );
  });

  it("stops a read at once when the caller's signal aborts, with the caller's reason", async () => {
    const registry = await peer(() => undefined);
    const client = new HttpRegistry({ credentials: anonymousCredentials, timeoutMs: 60_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("build canceled")), 100);
    const started = performance.now();
    await expect(
      client.manifestExists(`${registry}/a/b:1`, { signal: controller.signal }),
    ).rejects.toThrow(/^build canceled$/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("refuses a manifest whose Docker-Content-Digest is not the sha256 of its bytes", async () => {
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { digest: `sha256:${"c".repeat(64)}` },
      layers: [],
    });
    const registry = await peer((_request, response) => {
      response.writeHead(200, {
        "content-type": "application/vnd.oci.image.manifest.v1+json",
        "docker-content-digest": `sha256:${"0".repeat(64)}`,
      });
      response.end(manifest);
    });
    const client = new HttpRegistry({ credentials: anonymousCredentials });
    const error = await client.getManifest(`${registry}/a/b:1`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toBe(
      `registry ${registry} answered GET /v2/a/b/manifests/1 with something that is not a valid manifest: Docker-Content-Digest "sha256:${"0".repeat(64)}" does not match the body, whose sha256 is sha256:${createHash("sha256").update(manifest).digest("hex")}`,
    );
  });
});

describe("HttpRegistry's HTTP: redirects and streams", () => {
  const user = {
    description: "a test source",
    find: () => Promise.resolve({ username: "u", password: "p4ss", source: "a test source" }),
  };
  const basic = `Basic ${Buffer.from("u:p4ss").toString("base64")}`;
  const bytes = new TextEncoder().encode("the blob's bytes");
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

  /** A registry behind Basic auth that answers `answer` once the request carries the login. */
  async function basicRegistry(answer: Handler): Promise<{ address: string; seen: string[] }> {
    const seen: string[] = [];
    const address = await peer((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers.authorization ?? "-"}`);
      if (request.headers.authorization !== basic) {
        response.writeHead(401, { "www-authenticate": 'Basic realm="test"' });
        response.end();
        return;
      }
      answer(request, response);
    });
    return { address, seen };
  }

  it("reads a blob redirected to another host without sending it the registry's login", async () => {
    const storageSeen: (string | undefined)[] = [];
    const storage = await peer((request, response) => {
      storageSeen.push(request.headers.authorization);
      response.writeHead(200, { "content-type": "application/octet-stream" });
      response.end(bytes);
    });
    const registry = await basicRegistry((_request, response) => {
      response.writeHead(307, { location: `http://${storage}/signed/blob?sig=1` });
      response.end();
    });
    const client = new HttpRegistry({ credentials: user });
    const read = await client.getBlob(`${registry.address}/a/b`, digest);
    expect(new TextDecoder().decode(read)).toBe("the blob's bytes");
    expect(registry.seen).toEqual([
      `GET /v2/a/b/blobs/${digest} -`,
      `GET /v2/a/b/blobs/${digest} ${basic}`,
    ]);
    expect(storageSeen).toEqual([undefined]);
  });

  it("keeps the login on a redirect within the registry", async () => {
    const registry = await basicRegistry((request, response) => {
      if (request.url === `/v2/a/b/blobs/${digest}`) {
        response.writeHead(302, { location: `/v2/a/b/moved/${digest}` });
        response.end();
        return;
      }
      response.writeHead(200);
      response.end(bytes);
    });
    const client = new HttpRegistry({ credentials: user });
    await client.getBlob(`${registry.address}/a/b`, digest);
    expect(registry.seen.at(-1)).toBe(`GET /v2/a/b/moved/${digest} ${basic}`);
  });

  it("does not follow a redirect of a PUT, and says what the registry answered", async () => {
    const registry = await basicRegistry((_request, response) => {
      response.writeHead(307, { location: "/elsewhere" });
      response.end();
    });
    const client = new HttpRegistry({ credentials: user });
    await expect(
      client.putManifest(`${registry.address}/a/b:1`, {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        bytes: new TextEncoder().encode("{}"),
      }),
    ).rejects.toThrow(
      `registry ${registry.address} failed PUT /v2/a/b/manifests/1: HTTP 307 Temporary Redirect`,
    );
    expect(registry.seen.filter((line) => line.includes("/elsewhere"))).toEqual([]);
  });

  it("gives up on a redirect loop", async () => {
    const registry = await peer((request, response) => {
      response.writeHead(302, { location: `${request.url ?? "/"}x` });
      response.end();
    });
    const client = new HttpRegistry({ credentials: anonymousCredentials });
    await expect(client.manifestExists(`${registry}/a/b:1`)).rejects.toThrow(
      /^registry 127\.0\.0\.1:\d+ could not be reached: more than 20 redirects, the last to \/v2\/a\/b\/manifests\/1x{21}$/,
    );
  });

  it("stops a body being read when the caller's signal aborts, with the caller's reason", async () => {
    const registry = await peer((_request, response) => {
      response.writeHead(200, { "content-length": "1000" });
      response.write(bytes); // and the rest never comes
    });
    const client = new HttpRegistry({ credentials: anonymousCredentials, timeoutMs: 60_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("build canceled")), 100);
    const started = performance.now();
    await expect(
      client.getBlob(`${registry}/a/b`, digest, { signal: controller.signal }),
    ).rejects.toThrow(/^build canceled$/);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
