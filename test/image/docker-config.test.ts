/**
 * Reading credentials the way the Docker CLI stores them, from real files and real helper
 * programs in a temp folder.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors/index.js";
import { dockerConfigCredentials, dockerConfigPath } from "../../src/image/docker-config.js";

const REGISTRY = "127.0.0.1:5999";
let dir = "";
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "envforge-docker-config-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A DOCKER_CONFIG folder with `config` as config.json and `helpers` (name -> sh body) on PATH. */
async function setup(config: unknown, helpers: Record<string, string> = {}) {
  counter += 1;
  const folder = path.join(dir, String(counter));
  await mkdir(path.join(folder, "bin"), { recursive: true });
  const file = path.join(folder, "config.json");
  await writeFile(file, typeof config === "string" ? config : JSON.stringify(config));
  for (const [name, body] of Object.entries(helpers)) {
    const helper = path.join(folder, "bin", `docker-credential-${name}`);
    await writeFile(helper, `#!/bin/sh\n${body}\n`);
    await chmod(helper, 0o700);
  }
  const env = { DOCKER_CONFIG: folder, PATH: `${path.join(folder, "bin")}:/usr/bin:/bin` };
  return { file, source: dockerConfigCredentials({ env }) };
}

describe("dockerConfigPath", () => {
  it.each([
    [{ DOCKER_CONFIG: "/etc/dc", HOME: "/home/u" }, undefined, "/etc/dc/config.json"],
    [{ DOCKER_CONFIG: "", HOME: "/home/u" }, undefined, "/home/u/.docker/config.json"],
    [{ HOME: "/home/u" }, "/ignored", "/home/u/.docker/config.json"],
    [{}, "/home/fallback", "/home/fallback/.docker/config.json"],
  ])("%j -> %s", (env, homedir, expected) => {
    expect(dockerConfigPath({ env, ...(homedir === undefined ? {} : { homedir }) })).toBe(expected);
  });
});

describe("dockerConfigCredentials", () => {
  it("reads `auth`, and `username` + `password`, and names the file as the source", async () => {
    const { file, source } = await setup({
      auths: {
        [REGISTRY]: { auth: Buffer.from("alice:pa:ss").toString("base64") },
        "https://other.example:5000/v1/": { username: "bob", password: "secret" },
      },
      psFormat: "table {{.ID}}",
    });
    expect(source.description).toBe(file);
    expect(await source.find(REGISTRY)).toEqual({
      username: "alice",
      password: "pa:ss",
      source: file,
    });
    expect(await source.find("other.example:5000")).toEqual({
      username: "bob",
      password: "secret",
      source: file,
    });
    expect(await source.find("127.0.0.1:1")).toBeUndefined();
  });

  it("has no credentials when there is no config file", async () => {
    const source = dockerConfigCredentials({ env: { DOCKER_CONFIG: path.join(dir, "none") } });
    expect(await source.find(REGISTRY)).toBeUndefined();
  });

  it("reports every malformed key, with its place in the file", async () => {
    const { file, source } = await setup({ credsStore: 5, credHelpers: { [REGISTRY]: [] } });
    const error = await source.find(REGISTRY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((p) => [p.file, p.key])).toEqual([
      [file, "credsStore"],
      [file, `credHelpers.${REGISTRY}`],
    ]);
  });

  it("rejects an `auth` that is not user:password, without quoting it", async () => {
    const { file, source } = await setup({
      auths: { [REGISTRY]: { auth: Buffer.from("no-colon-secret").toString("base64") } },
    });
    const error = await source.find(REGISTRY).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      `${file}: auths.${REGISTRY}.auth: is not the base64 of user:password (allowed: base64 of "user:password", as \`docker login\` writes it)`,
    );
    expect((error as Error).message).not.toContain("no-colon-secret");
  });

  it("reads an identity token, with the user `docker login` kept beside it", async () => {
    const { file, source } = await setup({
      auths: {
        [REGISTRY]: {
          auth: Buffer.from("00000000-0000-0000-0000-000000000000:").toString("base64"),
          identitytoken: "refresh-me",
        },
        "127.0.0.1:6000": { identitytoken: "refresh-too" },
      },
    });
    expect(await source.find(REGISTRY)).toEqual({
      username: "00000000-0000-0000-0000-000000000000",
      password: "",
      identityToken: "refresh-me",
      source: file,
    });
    expect(await source.find("127.0.0.1:6000")).toEqual({
      username: "<token>",
      password: "",
      identityToken: "refresh-too",
      source: file,
    });
  });

  it("passes the registry to the helper on stdin and reads its JSON answer", async () => {
    const { source } = await setup(
      { credsStore: "echo" },
      {
        echo: `server=$(cat); printf '{"ServerURL":"%s","Username":"u-%s","Secret":"s"}' "$server" "$server"`,
      },
    );
    expect(await source.find(REGISTRY)).toEqual({
      username: `u-${REGISTRY}`,
      password: "s",
      source: "credential helper docker-credential-echo",
    });
  });

  it("reports a failing helper with its exit code and output", async () => {
    const { file, source } = await setup(
      { credsStore: "broken" },
      { broken: 'echo "keychain locked" >&2; exit 3' },
    );
    await expect(source.find(REGISTRY)).rejects.toThrow(
      `credential helper docker-credential-broken (configured in ${file}) failed for ${REGISTRY} with exit code 3: keychain locked`,
    );
  });

  it.each([
    ["JSON of another shape", `{"User":"u","Password":"leaked-secret"}`],
    ["text that is not JSON", `leaked-secret`],
  ])("never quotes a helper answer that is %s", async (_what, output) => {
    const { file, source } = await setup({ credsStore: "odd" }, { odd: `printf '${output}'` });
    const error = await source.find(REGISTRY).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      `credential helper docker-credential-odd (configured in ${file}) printed something other than {"Username": …, "Secret": …} for ${REGISTRY}`,
    );
    const cause = (error as Error).cause;
    const causeText = cause instanceof Error ? `${cause.message} ${cause.stack}` : String(cause);
    expect(`${String((error as Error).stack)} ${causeText}`).not.toContain("leaked-secret");
  });

  it("refuses a helper name that could run another program", async () => {
    const { file, source } = await setup({ credHelpers: { [REGISTRY]: "../../bin/sh" } });
    await expect(source.find(REGISTRY)).rejects.toThrow(
      `credential helper name "../../bin/sh" in ${file} is not valid (allowed: letters, digits, ".", "_", "-")`,
    );
  });

  it("reads an identity token from a helper's <token> user", async () => {
    const { source } = await setup(
      { credsStore: "tok" },
      { tok: `printf '{"Username":"<token>","Secret":"refresh"}'` },
    );
    expect(await source.find(REGISTRY)).toEqual({
      username: "<token>",
      password: "",
      identityToken: "refresh",
      source: "credential helper docker-credential-tok",
    });
  });
});
