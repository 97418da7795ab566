import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ExternalError, ValidationError } from "../errors/index.js";
import {
  connectionFailure,
  contextDirName,
  contextMetaPath,
  describeEndpoint,
  endpointFromContext,
  endpointFromHost,
  engineUnreachable,
  knownHostKeys,
  parseDockerHost,
  selectedContext,
  tlsFromEnv,
} from "./docker-endpoint-rules.js";
import type { DockerEndpoint, DockerEnv, DockerTransport } from "./docker-endpoint-rules.js";

const where = { key: "DOCKER_HOST" };
const TLS = { verify: true, ca: "/c/ca.pem", cert: "/c/cert.pem", key: "/c/key.pem" };

describe("parseDockerHost", () => {
  const cases: [string, { tls?: typeof TLS; user?: string }, DockerTransport][] = [
    ["unix:///var/run/docker.sock", {}, { kind: "unix", socketPath: "/var/run/docker.sock" }],
    ["unix:///tmp/a b.sock", {}, { kind: "unix", socketPath: "/tmp/a b.sock" }],
    ["tcp://127.0.0.1:2375", {}, { kind: "tcp", host: "127.0.0.1", port: 2375 }],
    ["tcp://127.0.0.1:2375/", {}, { kind: "tcp", host: "127.0.0.1", port: 2375 }],
    ["TCP://localhost", {}, { kind: "tcp", host: "localhost", port: 2375 }],
    ["tcp://localhost", { tls: TLS }, { kind: "tcp", host: "localhost", port: 2376, tls: TLS }],
    ["127.0.0.1:2375", {}, { kind: "tcp", host: "127.0.0.1", port: 2375 }],
    ["tcp://[::1]:2375", {}, { kind: "tcp", host: "::1", port: 2375 }],
    [
      "ssh://builder@10.0.0.5",
      {},
      { kind: "ssh", host: "10.0.0.5", port: 22, username: "builder" },
    ],
    [
      "ssh://h.example:2222",
      { user: "me" },
      { kind: "ssh", host: "h.example", port: 2222, username: "me" },
    ],
    ["ssh://h.example", {}, { kind: "ssh", host: "h.example", port: 22 }],
  ];
  it.each(cases)("reads %s", (value, options, expected) => {
    expect(parseDockerHost(value, where, options)).toEqual(expected);
  });

  const refused: [string, string][] = [
    ["unix://relative.sock", "a unix socket needs an absolute path"],
    ["npipe:////./pipe/docker_engine", "named pipes are Windows only"],
    ["http://127.0.0.1:2375", "scheme http:// is not a Docker endpoint"],
    ["fd://", "scheme fd:// is not a Docker endpoint"],
    ["tcp://127.0.0.1:2375/v1.41", "a path (/v1.41) is not supported"],
    ["tcp://127.0.0.1:99999", "not a URL"],
    ["ssh://u:pw@host", "a password in the URL is not supported (use ssh-agent)"],
    ["tcp://u@host:1", "a user is not allowed in tcp://"],
  ];
  it.each(refused)("refuses %s: %s", (value, message) => {
    const error = catchError(() => parseDockerHost(value, where));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toEqual([
      expect.objectContaining({ key: "DOCKER_HOST", message, found: JSON.stringify(value) }),
    ]);
  });
});

describe("selectedContext (the Docker CLI's order)", () => {
  const config = (currentContext: string) => ({
    path: "/h/.docker/config.json",
    text: JSON.stringify({ auths: {}, currentContext }),
  });
  const cases: [string, DockerEnv, ReturnType<typeof config> | undefined, string | undefined][] = [
    ["nothing set", {}, undefined, undefined],
    [
      "DOCKER_HOST beats DOCKER_CONTEXT",
      { DOCKER_HOST: "tcp://h:1", DOCKER_CONTEXT: "c" },
      undefined,
      undefined,
    ],
    ["DOCKER_HOST beats currentContext", { DOCKER_HOST: "tcp://h:1" }, config("c"), undefined],
    ["DOCKER_CONTEXT beats currentContext", { DOCKER_CONTEXT: "a" }, config("b"), "a"],
    ["currentContext", {}, config("b"), "b"],
    [
      "a context named default is the default",
      { DOCKER_CONTEXT: "default" },
      config("b"),
      undefined,
    ],
    ["an empty DOCKER_HOST is unset", { DOCKER_HOST: " " }, config("b"), "b"],
    ["a config without currentContext", {}, { path: "/c.json", text: "{}" }, undefined],
  ];
  it.each(cases)("%s", (_, env, configJson, expected) => {
    expect(selectedContext(env, configJson)).toBe(expected);
  });

  it("refuses a config.json that is not a JSON object, naming the file", () => {
    const error = catchError(() =>
      selectedContext({}, { path: "/h/.docker/config.json", text: "{" }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain("/h/.docker/config.json");
  });
});

describe("endpointFromContext", () => {
  const base = { name: "remote", metaPath: "/m/meta.json", tlsDir: "/t", tlsFiles: [] };
  const meta = (host: string, skip = false) =>
    JSON.stringify({
      Name: "remote",
      Metadata: {},
      Endpoints: { docker: { Host: host, SkipTLSVerify: skip } },
    });

  it("keeps the folder layout of the Docker CLI (sha256 of the name)", () => {
    expect(contextDirName("remote")).toMatch(/^[0-9a-f]{64}$/);
    expect(contextMetaPath("/h/.docker", "x")).toBe(
      "/h/.docker/contexts/meta/2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881/meta.json",
    );
  });

  const cases: [string, Partial<Parameters<typeof endpointFromContext>[0]>, DockerTransport][] = [
    [
      "a socket",
      { metaText: meta("unix:///run/d.sock") },
      { kind: "unix", socketPath: "/run/d.sock" },
    ],
    [
      "plain tcp",
      { metaText: meta("tcp://10.1.1.1:2375") },
      { kind: "tcp", host: "10.1.1.1", port: 2375 },
    ],
    [
      "tcp with the context's TLS files",
      { metaText: meta("tcp://h:2376"), tlsFiles: ["ca.pem", "cert.pem", "key.pem"] },
      {
        kind: "tcp",
        host: "h",
        port: 2376,
        tls: { verify: true, ca: "/t/ca.pem", cert: "/t/cert.pem", key: "/t/key.pem" },
      },
    ],
    [
      "SkipTLSVerify with a CA only",
      { metaText: meta("tcp://h", true), tlsFiles: ["ca.pem"] },
      { kind: "tcp", host: "h", port: 2376, tls: { verify: false, ca: "/t/ca.pem" } },
    ],
    [
      "ssh",
      { metaText: meta("ssh://me@h"), user: "other" },
      { kind: "ssh", host: "h", port: 22, username: "me" },
    ],
  ];
  it.each(cases)("%s", (_, options, transport) => {
    const endpoint = endpointFromContext({ ...base, metaText: undefined, ...options });
    expect(endpoint.transport).toEqual(transport);
    expect(endpoint.source).toEqual({ kind: "context", name: "remote", metaPath: "/m/meta.json" });
  });

  const refused: [string, string | undefined, string][] = [
    ["a missing context", undefined, 'docker context "remote" does not exist (no meta.json)'],
    [
      "a context without a docker endpoint",
      JSON.stringify({ Name: "remote", Endpoints: {} }),
      'docker context "remote" has no Docker endpoint',
    ],
    ["a meta.json that is not JSON", "{", 'docker context "remote" has no Docker endpoint'],
    ["a bad host", meta("http://h"), "scheme http:// is not a Docker endpoint"],
  ];
  it.each(refused)("refuses %s, naming the file", (_, metaText, message) => {
    const error = catchError(() => endpointFromContext({ ...base, metaText }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems[0]).toMatchObject({ file: "/m/meta.json", message });
  });
});

describe("endpointFromHost and TLS from the environment", () => {
  const cases: [string, DockerEnv, Omit<DockerEndpoint, "source"> & { source: string }][] = [
    [
      "nothing: the default socket",
      {},
      {
        url: "unix:///var/run/docker.sock",
        transport: { kind: "unix", socketPath: "/var/run/docker.sock" },
        source: "default",
      },
    ],
    [
      "DOCKER_TLS_VERIFY with DOCKER_CERT_PATH",
      { DOCKER_HOST: "tcp://127.0.0.1:2376", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/certs" },
      {
        url: "tcp://127.0.0.1:2376",
        transport: {
          kind: "tcp",
          host: "127.0.0.1",
          port: 2376,
          tls: {
            verify: true,
            ca: "/certs/ca.pem",
            cert: "/certs/cert.pem",
            key: "/certs/key.pem",
          },
        },
        source: "DOCKER_HOST",
      },
    ],
    [
      "DOCKER_TLS alone: TLS, not verified, files in the config folder",
      { DOCKER_HOST: "tcp://h", DOCKER_TLS: "1" },
      {
        url: "tcp://h",
        transport: {
          kind: "tcp",
          host: "h",
          port: 2376,
          tls: { verify: false, ca: "/cfg/ca.pem", cert: "/cfg/cert.pem", key: "/cfg/key.pem" },
        },
        source: "DOCKER_HOST",
      },
    ],
    [
      "from envforge's config file",
      {
        DOCKER_HOST: "unix:///x.sock",
        ENVFORGE_FILLED_FROM_CONFIG_FILE: "DOCKER_HOST,ENVFORGE_REGISTRY",
      },
      {
        url: "unix:///x.sock",
        transport: { kind: "unix", socketPath: "/x.sock" },
        source: "config file",
      },
    ],
  ];
  it.each(cases)("%s", (_, env, expected) => {
    const endpoint = endpointFromHost(env, "/cfg");
    expect({ ...endpoint, source: endpoint.source.kind }).toEqual(expected);
  });

  it("names dockerHost, not DOCKER_HOST, when the config file's value is refused", () => {
    const error = catchError(() =>
      endpointFromHost(
        { DOCKER_HOST: "http://x", ENVFORGE_FILLED_FROM_CONFIG_FILE: "DOCKER_HOST" },
        "/cfg",
      ),
    );
    expect((error as ValidationError).problems[0]?.key).toBe("dockerHost");
  });

  it("uses no TLS without DOCKER_TLS_VERIFY or DOCKER_TLS (DOCKER_CERT_PATH alone)", () => {
    expect(tlsFromEnv({ DOCKER_CERT_PATH: "/certs" }, "/cfg")).toBeUndefined();
  });
});

describe("connectionFailure and the reported error", () => {
  const socket: DockerEndpoint = {
    url: "unix:///nope.sock",
    transport: { kind: "unix", socketPath: "/nope.sock" },
    source: { kind: "DOCKER_HOST" },
  };
  const tls: DockerEndpoint = {
    url: "tcp://127.0.0.1:2376",
    transport: { kind: "tcp", host: "127.0.0.1", port: 2376, tls: { verify: true } },
    source: { kind: "context", name: "remote", metaPath: "/m/meta.json" },
  };
  const ssh: DockerEndpoint = {
    url: "ssh://me@h",
    transport: { kind: "ssh", host: "h", port: 22, username: "me" },
    source: { kind: "default" },
  };
  const coded = (code: string, message = `boom ${code}`) =>
    Object.assign(new Error(message), { code });
  const cases: [string, DockerEndpoint, unknown, string | undefined][] = [
    ["a missing socket", socket, coded("ENOENT"), "no socket at /nope.sock (ENOENT)"],
    [
      "a socket without permission",
      socket,
      coded("EACCES"),
      "permission denied on /nope.sock (EACCES)",
    ],
    [
      "a closed port",
      tls,
      coded("ECONNREFUSED"),
      "nothing accepts connections at 127.0.0.1:2376 (ECONNREFUSED)",
    ],
    [
      "a self-signed server",
      tls,
      coded("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate"),
      "TLS with 127.0.0.1:2376 failed: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)",
    ],
    [
      "a plain server under TLS",
      tls,
      coded("ECONNRESET"),
      "127.0.0.1:2376 closed the connection during the TLS handshake (ECONNRESET): is it a TLS endpoint?",
    ],
    [
      "ssh auth",
      ssh,
      Object.assign(new Error("All configured authentication methods failed"), {
        level: "client-authentication",
      }),
      "ssh to me@h:22 failed: All configured authentication methods failed",
    ],
    [
      "an engine's answer",
      socket,
      Object.assign(new Error("(HTTP code 404) no such image"), { statusCode: 404 }),
      undefined,
    ],
    ["not an Error", socket, "x", undefined],
  ];
  it.each(cases)("%s", (_, endpoint, error, expected) => {
    expect(connectionFailure(error, endpoint)).toBe(expected);
  });

  it("says which endpoint, from where, and why", () => {
    const error = engineUnreachable(
      tls,
      "nothing accepts connections at 127.0.0.1:2376 (ECONNREFUSED)",
      null,
    );
    expect(error).toBeInstanceOf(ExternalError);
    expect(error.message).toBe(
      'cannot reach the Docker engine at tcp://127.0.0.1:2376 (TLS, verified) (from docker context "remote" (/m/meta.json)): nothing accepts connections at 127.0.0.1:2376 (ECONNREFUSED)',
    );
    expect(describeEndpoint(socket)).toBe("unix:///nope.sock");
  });
});

describe("knownHostKeys (ssh's known_hosts matching)", () => {
  const hashed = (name: string): string => {
    const salt = Buffer.from("0123456789abcdefghij");
    const mac = createHmac("sha1", salt).update(name).digest("base64");
    return `|1|${salt.toString("base64")}|${mac}`;
  };
  const text = [
    "# comment",
    "h.example,10.0.0.5 ssh-ed25519 PLAIN22",
    "[h.example]:2222 ssh-ed25519 PORT2222",
    `${hashed("[127.0.0.1]:2200")} ssh-ed25519 HASHED`,
    "*.lab,!bad.lab ssh-rsa WILD",
    "@revoked h.example ssh-ed25519 REVOKED",
    "@cert-authority *.example ssh-ed25519 CA",
    "",
  ].join("\n");
  const cases: [string, number, string[], string[]][] = [
    ["h.example", 22, ["PLAIN22"], ["REVOKED"]],
    ["10.0.0.5", 22, ["PLAIN22"], []],
    ["h.example", 2222, ["PORT2222"], []],
    ["127.0.0.1", 2200, ["HASHED"], []],
    ["127.0.0.1", 22, [], []],
    ["gpu.lab", 22, ["WILD"], []],
    ["bad.lab", 22, [], []],
    ["other.example", 22, [], []],
  ];
  it.each(cases)("%s port %d", (host, port, keys, revoked) => {
    expect(knownHostKeys(text, host, port)).toEqual({ keys, revoked });
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}
