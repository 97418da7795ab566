/**
 * The Bearer token flow against a real docker-registry configured with `auth.token`, whose
 * tokens come from the test's own token server (token-server.ts). The registry verifies every
 * token's signature, issuer, audience and access, so a token flow that is wrong fails here.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { errorJson } from "../../src/errors/index.js";
import { dockerConfigCredentials } from "../../src/image/docker-config.js";
import { HttpRegistry } from "../../src/image/http-registry.js";
import type { HttpRegistryOptions } from "../../src/image/http-registry.js";
import { RegistryAuthError } from "../../src/image/registry-errors.js";
import type { BlobContent } from "../../src/image/registry.js";
import {
  dockerClient,
  dockerProblem,
  engineGate,
  importTinyImage,
  pushImage,
  removeImage,
  tarBytes,
} from "../support/docker.js";
import { REGISTRY_BINARY, startRegistry, uniqueRepository } from "../support/registry.js";
import type { StartedRegistry } from "../support/registry.js";
import { makeSigningKey, startTokenServer } from "./token-server.js";
import type { TokenServer } from "./token-server.js";

const SERVICE = "envforge-test-registry";
const ISSUER = "envforge-test-issuer";
const USER = "token-user";
const PASSWORD = `pw-${randomBytes(12).toString("hex")}`;
const IDENTITY_TOKEN = `refresh-${randomBytes(12).toString("hex")}`;
const DENIED = "envforge-test/denied";

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function blobOf(bytes: Uint8Array): BlobContent {
  return { digest: sha256(bytes), size: bytes.length, open: () => bytes };
}

const docker = dockerClient();
const gate = engineGate(
  "Docker engine and docker-registry",
  (await dockerProblem(docker)) ??
    (existsSync(REGISTRY_BINARY) && existsSync("/usr/bin/openssl")
      ? undefined
      : `${REGISTRY_BINARY} or /usr/bin/openssl is missing; run scripts/ci/engines.sh`),
);

describe.skipIf(gate.skip)("HttpRegistry with a Bearer token registry", () => {
  const repository = uniqueRepository("token");
  let dir = "";
  let tokens: TokenServer | undefined;
  let registryServer: StartedRegistry | undefined;
  let registryAddress = "";
  let imageId = "";
  let pushedDigest = "";

  beforeAll(async () => {
    gate.require();
    dir = await mkdtemp(path.join(tmpdir(), "envforge-token-auth-"));
    const key = await makeSigningKey(dir);
    tokens = await startTokenServer({
      users: { [USER]: PASSWORD },
      refreshTokens: { [IDENTITY_TOKEN]: USER },
      denied: [DENIED],
      service: SERVICE,
      issuer: ISSUER,
      key,
      tokenSeconds: 300,
    });
    registryServer = await startRegistry({
      dir: path.join(dir, "registry"),
      readyStatus: 401,
      extraConfig: [
        "auth:",
        "  token:",
        `    realm: ${tokens.realm}`,
        `    service: ${SERVICE}`,
        `    issuer: ${ISSUER}`,
        `    rootcertbundle: ${key.certPath}`,
      ].join("\n"),
    });
    registryAddress = registryServer.address;
    const name = `${registryAddress}/${repository}`;
    imageId = await importTinyImage(docker, { name, tag: "v1" });
    pushedDigest = await pushImage(docker, {
      name,
      tag: "v1",
      auth: { username: USER, password: PASSWORD, serveraddress: registryAddress },
    });
  });

  afterAll(async () => {
    if (imageId !== "") await removeImage(docker, imageId);
    await registryServer?.stop();
    await tokens?.close();
    if (dir !== "") await rm(dir, { recursive: true, force: true });
  });

  async function clientWith(
    name: string,
    password: string | undefined,
    extra: Partial<HttpRegistryOptions> & { readonly config?: unknown } = {},
  ) {
    const folder = path.join(dir, "config", name);
    await mkdir(folder, { recursive: true });
    const file = path.join(folder, "config.json");
    const auths =
      password === undefined
        ? {}
        : { [registryAddress]: { auth: Buffer.from(`${USER}:${password}`).toString("base64") } };
    await writeFile(file, JSON.stringify(extra.config ?? { auths }));
    const credentials = dockerConfigCredentials({ env: { DOCKER_CONFIG: folder } });
    const { config: _config, ...options } = extra;
    return { file, registry: new HttpRegistry({ credentials, ...options }) };
  }

  it("gets a token with the user's credentials and finds the pushed image", async () => {
    const { registry } = await clientWith("good", PASSWORD);
    const before = tokens?.requests.length ?? 0;
    expect(await registry.getManifestDigest(`${registryAddress}/${repository}:v1`)).toBe(
      pushedDigest,
    );
    expect(tokens?.requests.slice(before)).toEqual([
      { service: SERVICE, scopes: [`repository:${repository}:pull`], user: USER },
    ]);
  });

  it("answers one challenge for requests sent together", async () => {
    const { registry } = await clientWith("together", PASSWORD);
    const before = tokens?.requests.length ?? 0;
    const name = `${registryAddress}/${repository}-together`;
    const blob = Buffer.from(`sent together ${randomBytes(8).toString("hex")}`);
    // A new blob's HEAD and upload session go out side by side, both before any token.
    expect(
      await registry.uploadBlob(
        name,
        { digest: sha256(blob), size: blob.length, open: () => blob },
        { likelyNew: true },
      ),
    ).toBe("uploaded");
    expect(tokens?.requests.slice(before)).toEqual([
      { service: SERVICE, scopes: [`repository:${repository}-together:pull,push`], user: USER },
    ]);
  });

  it("reuses the token until it expires, then asks for a new one", async () => {
    let now = Date.now();
    const { registry } = await clientWith("reuse", PASSWORD, { now: () => now });
    const before = tokens?.requests.length ?? 0;
    const image = `${registryAddress}/${repository}:v1`;
    await registry.manifestExists(image);
    await registry.manifestExists(`${registryAddress}/${repository}:missing`);
    expect(await registry.blobExists(`${registryAddress}/${repository}`, pushedDigest)).toBe(false);
    expect((tokens?.requests.length ?? 0) - before).toBe(1);
    now += 301_000;
    expect(await registry.getManifestDigest(image)).toBe(pushedDigest);
    expect((tokens?.requests.length ?? 0) - before).toBe(2);
  });

  it("says exists: false for a missing tag behind token auth", async () => {
    const { registry } = await clientWith("missing", PASSWORD);
    expect(await registry.manifestExists(`${registryAddress}/${repository}:nope`)).toEqual({
      exists: false,
    });
  });

  it("asks for a login when the anonymous token grants nothing", async () => {
    const { file, registry } = await clientWith("anonymous", undefined);
    const before = tokens?.requests.length ?? 0;
    await expect(registry.manifestExists(`${registryAddress}/${repository}:v1`)).rejects.toThrow(
      `registry ${registryAddress} requires a login and no credentials for it were found (looked in ${file}); run "docker login ${registryAddress}"`,
    );
    expect(tokens?.requests.slice(before)).toEqual([
      { service: SERVICE, scopes: [`repository:${repository}:pull`], user: undefined },
    ]);
  });

  it("pushes blobs and a manifest with a pull,push token", async () => {
    const { registry } = await clientWith("push", PASSWORD);
    const pushed = `${repository}-pushed`;
    const name = `${registryAddress}/${pushed}`;
    const tar = await tarBytes({ "pushed.txt": randomBytes(8).toString("hex") });
    const layer = gzipSync(tar);
    const config = Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: [sha256(tar)] },
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: {
          mediaType: "application/vnd.oci.image.config.v1+json",
          size: config.length,
          digest: sha256(config),
        },
        layers: [
          {
            mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
            size: layer.length,
            digest: sha256(layer),
          },
        ],
      }),
    );
    const before = tokens?.requests.length ?? 0;
    expect(await registry.uploadBlob(name, blobOf(layer))).toBe("uploaded");
    expect(await registry.uploadBlob(name, blobOf(config))).toBe("uploaded");
    const digest = await registry.putManifest(`${name}:v1`, {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      bytes: manifest,
    });
    expect(digest).toBe(sha256(manifest));
    expect(await registry.manifestExists(`${name}:v1`)).toEqual({
      exists: true,
      digest,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
    });
    expect(tokens?.requests.slice(before).map((request) => request.scopes)).toEqual([
      [`repository:${pushed}:pull,push`],
      [`repository:${pushed}:pull`],
    ]);
  });

  it("mounts a blob from another repository with a token that may read it", async () => {
    const { registry } = await clientWith("mount", PASSWORD);
    const manifest = await registry.getManifest(`${registryAddress}/${repository}:v1`);
    const layers = z
      .object({ layers: z.array(z.object({ digest: z.string(), size: z.number() })).min(1) })
      .parse(JSON.parse(Buffer.from(manifest.bytes).toString())).layers;
    const mounted = `${repository}-mounted`;
    const before = tokens?.requests.length ?? 0;
    for (const layer of layers) {
      const blob = { ...layer, open: () => new Uint8Array() };
      expect(
        await registry.uploadBlob(`${registryAddress}/${mounted}`, blob, { mountFrom: repository }),
      ).toBe("mounted");
      expect(await registry.blobExists(`${registryAddress}/${mounted}`, layer.digest)).toBe(true);
    }
    expect(tokens?.requests.slice(before).map((request) => request.scopes)).toContainEqual([
      `repository:${mounted}:pull,push`,
      `repository:${repository}:pull`,
    ]);
  });

  it("exchanges an identity token from config.json for access tokens (OAuth2 POST)", async () => {
    const { registry } = await clientWith("identity", undefined, {
      config: {
        auths: {
          [registryAddress]: {
            auth: Buffer.from("00000000-0000-0000-0000-000000000000:").toString("base64"),
            identitytoken: IDENTITY_TOKEN,
          },
        },
      },
    });
    const before = tokens?.requests.length ?? 0;
    expect(await registry.getManifestDigest(`${registryAddress}/${repository}:v1`)).toBe(
      pushedDigest,
    );
    expect(tokens?.requests.slice(before)).toEqual([
      { service: SERVICE, scopes: [`repository:${repository}:pull`], user: USER },
    ]);
  });

  it("takes an identity token from a credential helper's <token> user", async () => {
    const folder = path.join(dir, "config", "identity-helper");
    await mkdir(path.join(folder, "bin"), { recursive: true });
    await writeFile(
      path.join(folder, "config.json"),
      JSON.stringify({ credsStore: "envforgeidentity" }),
    );
    await writeFile(
      path.join(folder, "bin", "docker-credential-envforgeidentity"),
      `#!/bin/sh\nprintf '{"ServerURL":"%s","Username":"<token>","Secret":"${IDENTITY_TOKEN}"}' "$(cat)"\n`,
      { mode: 0o700 },
    );
    const env = {
      DOCKER_CONFIG: folder,
      PATH: `${path.join(folder, "bin")}:${process.env["PATH"]}`,
    };
    const registry = new HttpRegistry({ credentials: dockerConfigCredentials({ env }) });
    expect(await registry.getManifestDigest(`${registryAddress}/${repository}:v1`)).toBe(
      pushedDigest,
    );
  });

  it("reports an identity token the token server rejects, without showing it", async () => {
    const wrong = `refresh-${randomBytes(12).toString("hex")}`;
    const { file, registry } = await clientWith("identity-wrong", undefined, {
      config: { auths: { [registryAddress]: { identitytoken: wrong } } },
    });
    const error = await registry
      .manifestExists(`${registryAddress}/${repository}:v1`)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    const message = (error as Error).message;
    expect(message).toBe(
      `token server ${tokens?.realm} of registry ${registryAddress} rejected the identity token from ${file} (HTTP 401 Unauthorized: UNAUTHORIZED: unknown refresh_token [redacted]); check them with "docker login ${registryAddress}"`,
    );
    expect(`${message}\n${JSON.stringify(errorJson(error))}`).not.toContain(wrong);
  });

  it("tells a login that may not use the repository from a wrong password", async () => {
    const { file, registry } = await clientWith("denied", PASSWORD);
    await expect(registry.manifestExists(`${registryAddress}/${DENIED}:v1`)).rejects.toThrow(
      `registry ${registryAddress} gave user "${USER}" (from ${file}) no pull access to repository ${DENIED}: it may not exist, or the user may not use it`,
    );
  });

  it("reports a password the token server rejects, redacting what the server echoed", async () => {
    const wrong = `wrong-${randomBytes(6).toString("hex")}`;
    const { file, registry } = await clientWith("wrong", wrong);
    const error = await registry
      .manifestExists(`${registryAddress}/${repository}:v1`)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    const message = (error as Error).message;
    expect(message).toBe(
      `token server ${tokens?.realm} of registry ${registryAddress} rejected the credentials of user "${USER}" from ${file} (HTTP 401 Unauthorized: UNAUTHORIZED: rejected Authorization: Basic [redacted]); check them with "docker login ${registryAddress}"`,
    );
    const everything = `${message}\n${JSON.stringify(errorJson(error))}\n${String((error as Error).stack)}`;
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(Buffer.from(`${USER}:${wrong}`).toString("base64"));
  });
});
