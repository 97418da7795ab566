/**
 * The registry client against the real htpasswd registry of scripts/ci/registry.sh, with
 * credentials where `docker login` puts them: a Docker config file (DOCKER_CONFIG) and
 * credential helpers found on PATH.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExternalError, ValidationError, errorJson } from "../../src/errors/index.js";
import { dockerConfigCredentials } from "../../src/image/docker-config.js";
import { HttpRegistry } from "../../src/image/http-registry.js";
import { RegistryAuthError } from "../../src/image/registry-errors.js";
import {
  dockerClient,
  dockerProblem,
  engineGate,
  importTinyImage,
  pushImage,
  removeImage,
} from "../support/docker.js";
import {
  AUTH_REGISTRY,
  basicAuthorization,
  deleteManifest,
  readAuthRegistryCredentials,
  registryProblem,
  uniqueRepository,
} from "../support/registry.js";
import type { TestCredentials } from "../support/registry.js";

const docker = dockerClient();
const gate = engineGate(
  "Docker engine and registry",
  (await dockerProblem(docker)) ?? (await registryProblem()),
);

describe.skipIf(gate.skip)("HttpRegistry on a registry with htpasswd auth", () => {
  const repository = uniqueRepository("basic");
  const image = `${AUTH_REGISTRY}/${repository}:v1`;
  let credentials: TestCredentials = { username: "", password: "" };
  let imageId = "";
  let pushedDigest = "";
  let dir = "";

  beforeAll(async () => {
    gate.require();
    credentials = await readAuthRegistryCredentials();
    dir = await mkdtemp(path.join(tmpdir(), "envforge-basic-auth-"));
    imageId = await importTinyImage(docker, { name: `${AUTH_REGISTRY}/${repository}`, tag: "v1" });
    pushedDigest = await pushImage(docker, {
      name: `${AUTH_REGISTRY}/${repository}`,
      tag: "v1",
      auth: { ...credentials, serveraddress: AUTH_REGISTRY },
    });
  });

  afterAll(async () => {
    if (pushedDigest !== "") {
      await deleteManifest({
        registry: AUTH_REGISTRY,
        repository,
        digest: pushedDigest,
        authorization: basicAuthorization(credentials),
      });
    }
    if (imageId !== "") await removeImage(docker, imageId);
    if (dir !== "") await rm(dir, { recursive: true, force: true });
  });

  /** A fresh DOCKER_CONFIG folder holding `config` (if given) and a bin/ folder on PATH. */
  async function dockerConfig(name: string, config?: unknown) {
    const folder = path.join(dir, name);
    await mkdir(path.join(folder, "bin"), { recursive: true });
    const file = path.join(folder, "config.json");
    if (config !== undefined) await writeFile(file, JSON.stringify(config));
    const env = {
      DOCKER_CONFIG: folder,
      PATH: `${path.join(folder, "bin")}:${process.env["PATH"]}`,
    };
    return {
      folder,
      file,
      env,
      registry: new HttpRegistry({ credentials: dockerConfigCredentials({ env }) }),
    };
  }

  function auth(username: string, password: string): string {
    return Buffer.from(`${username}:${password}`).toString("base64");
  }

  it("logs in with the base64 `auth` of config.json", async () => {
    const { registry } = await dockerConfig("auths", {
      auths: { [AUTH_REGISTRY]: { auth: auth(credentials.username, credentials.password) } },
    });
    expect(await registry.manifestExists(image)).toMatchObject({
      exists: true,
      digest: pushedDigest,
    });
    expect(await registry.manifestExists(`${AUTH_REGISTRY}/${repository}:missing`)).toEqual({
      exists: false,
    });
  });

  it("matches an `auths` key written as a URL, as the Docker CLI does", async () => {
    const { registry } = await dockerConfig("auths-url", {
      auths: {
        [`http://${AUTH_REGISTRY}/v1/`]: { auth: auth(credentials.username, credentials.password) },
      },
    });
    expect(await registry.getManifestDigest(image)).toBe(pushedDigest);
  });

  it("asks the credential helper of credsStore, with the registry on stdin", async () => {
    const { folder, registry } = await dockerConfig("helper", { credsStore: "envforgetest" });
    await writeHelper(folder, "envforgetest", {
      [AUTH_REGISTRY]: { Username: credentials.username, Secret: credentials.password },
    });
    expect(await registry.getManifestDigest(image)).toBe(pushedDigest);
  });

  it("prefers credHelpers for the host over credsStore and auths", async () => {
    const { folder, registry } = await dockerConfig("cred-helpers", {
      credsStore: "missing-helper",
      credHelpers: { [AUTH_REGISTRY]: "envforgehost" },
      auths: { [AUTH_REGISTRY]: { auth: auth(credentials.username, "not-this-one") } },
    });
    await writeHelper(folder, "envforgehost", {
      [AUTH_REGISTRY]: { Username: credentials.username, Secret: credentials.password },
    });
    expect(await registry.getManifestDigest(image)).toBe(pushedDigest);
  });

  it("says where it looked when there are no credentials", async () => {
    const { file, registry } = await dockerConfig("none");
    const error = await registry.manifestExists(image).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toBe(
      `registry ${AUTH_REGISTRY} requires a login and no credentials for it were found (looked in ${file}); run "docker login ${AUTH_REGISTRY}"`,
    );
  });

  it("treats a helper's 'credentials not found' as anonymous", async () => {
    const { folder, file, registry } = await dockerConfig("helper-empty", { credsStore: "empty" });
    await writeHelper(folder, "empty", {});
    await expect(registry.manifestExists(image)).rejects.toThrow(
      `registry ${AUTH_REGISTRY} requires a login and no credentials for it were found (looked in ${file}); run "docker login ${AUTH_REGISTRY}"`,
    );
  });

  it("rejects a wrong password with a clear message that never shows the password", async () => {
    const wrong = `wrong-${credentials.password.slice(0, 6)}-password`;
    const { file, registry } = await dockerConfig("wrong", {
      auths: { [AUTH_REGISTRY]: { auth: auth(credentials.username, wrong) } },
    });
    const error = await registry.manifestExists(image).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    const message = (error as Error).message;
    expect(message).toBe(
      `registry ${AUTH_REGISTRY} rejected the credentials of user "${credentials.username}" from ${file} (HTTP 401 Unauthorized); check them with "docker login ${AUTH_REGISTRY}"`,
    );
    const everything = `${message}\n${JSON.stringify(errorJson(error))}\n${String((error as Error).stack)}`;
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(auth(credentials.username, wrong));
  });

  it("explains that an identity token cannot answer a Basic challenge", async () => {
    const { file, registry } = await dockerConfig("identity", {
      auths: { [AUTH_REGISTRY]: { identitytoken: "refresh-me" } },
    });
    await expect(registry.manifestExists(image)).rejects.toThrow(
      `registry ${AUTH_REGISTRY} asks for a user name and password, but the credentials from ${file} are an identity token, which only a token server accepts`,
    );
  });

  it("names a credential helper that is not on PATH", async () => {
    const { file, registry } = await dockerConfig("no-helper", { credsStore: "nosuch" });
    await expect(registry.manifestExists(image)).rejects.toThrow(
      `credential helper docker-credential-nosuch (configured in ${file}) was not found on PATH`,
    );
  });

  it("looks the credentials up again after a lookup failed", async () => {
    const { folder, registry } = await dockerConfig("late-helper", { credsStore: "late" });
    await expect(registry.manifestExists(image)).rejects.toThrow(
      "credential helper docker-credential-late",
    );
    await writeHelper(folder, "late", {
      [AUTH_REGISTRY]: { Username: credentials.username, Secret: credentials.password },
    });
    expect(await registry.getManifestDigest(image)).toBe(pushedDigest);
  });

  it("reports a config.json that is not JSON without quoting it", async () => {
    const { file, registry } = await dockerConfig("broken");
    await writeFile(file, `{"auths": {"${AUTH_REGISTRY}": {"auth": "c2VjcmV0"`);
    const error = await registry.manifestExists(image).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe(`${file}: is not valid JSON (allowed: a JSON object)`);
  });
});

/** A `docker-credential-<name>` script answering `get` from a fixed table, like a real helper. */
async function writeHelper(
  folder: string,
  name: string,
  table: Record<string, { Username: string; Secret: string }>,
): Promise<void> {
  const cases = Object.entries(table)
    .map(
      ([server, creds]) =>
        `  '${server}') printf '%s' '${JSON.stringify({ ServerURL: server, ...creds })}' ;;`,
    )
    .join("\n");
  const script = `#!/bin/sh
[ "$1" = get ] || { echo "unsupported: $1" >&2; exit 2; }
server=$(cat)
case "$server" in
${cases}
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;
  const file = path.join(folder, "bin", `docker-credential-${name}`);
  await writeFile(file, script);
  await chmod(file, 0o700);
}
