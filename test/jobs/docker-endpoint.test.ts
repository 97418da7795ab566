/**
 * Docker endpoints against the real engine, as the Docker CLI reads them: a docker context that
 * points at the real socket builds; DOCKER_HOST at a missing socket or a closed loopback port,
 * and a context at a closed port, fail fast naming the endpoint, its source and why (`env build`,
 * `run`); TLS from DOCKER_TLS_VERIFY/DOCKER_CERT_PATH and from a context's TLS folder reaches
 * the engine through a loopback TLS proxy that demands the client certificate, and a server the
 * CA does not vouch for is reported as a TLS failure. Everything stays on 127.0.0.1.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import type { TLSSocket } from "node:tls";
import ssh2 from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExternalError } from "../../src/errors/index.js";
import { contextMetaPath, contextTlsDir } from "../../src/jobs/docker-endpoint-rules.js";
import { checkDockerEndpoint, dockerFromEnv } from "../../src/jobs/docker-endpoint.js";
import {
  DOCKER_SOCKET,
  dockerClient,
  dockerProblem,
  engineGate,
  removeImage,
} from "../support/docker.js";
import { BASE_IMAGE } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const docker = dockerClient();
const gate = engineGate("Docker engine", await dockerProblem(docker));

describe.skipIf(gate.skip)("Docker endpoints", () => {
  let dir: string;
  let base: NodeJS.ProcessEnv;
  const madeImages = new Set<string>();
  const servers: Server[] = [];
  /** Connections made through the context's socket (a proxy in front of the engine's). */
  let contextConnections = 0;

  beforeAll(async () => {
    gate.require();
    dir = mkdtempSync(join(tmpdir(), "envforge-endpoint-"));
    const dockerConfig = join(dir, "docker-config");
    mkdirSync(dockerConfig);
    // The context's socket is a proxy that counts connections, so the test can tell the context
    // from the default socket it leads to.
    const proxy = createServer((client) => {
      contextConnections += 1;
      const engine = connect(DOCKER_SOCKET);
      client.pipe(engine).pipe(client);
      client.on("error", () => engine.destroy());
      engine.on("error", () => client.destroy());
    });
    servers.push(proxy);
    const socket = join(dir, "context.sock");
    await new Promise<void>((resolve) => proxy.listen(socket, resolve));
    writeContext(dockerConfig, "real-socket", `unix://${socket}`);
    writeContext(dockerConfig, "closed-port", "tcp://127.0.0.1:9");
    base = {
      HOME: dir,
      DOCKER_CONFIG: dockerConfig,
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "none.yaml"),
    };
    // A definition no other run has built: a variable with a fresh value.
    writeFileSync(
      join(dir, "envforge.yaml"),
      `name: endpoint-test\nimage: ${BASE_IMAGE}\nvariables:\n  ENVFORGE_ENDPOINT_TEST: "${randomBytes(6).toString("hex")}"\n`,
    );
    const created = await cli(
      ["env", "create", "--file", join(dir, "envforge.yaml"), "--name", "ep"],
      {
        env: base,
        cwd: dir,
      },
    );
    expect(created.code, created.stderr).toBe(0);
  });

  afterAll(async () => {
    for (const id of madeImages) await removeImage(docker, id);
    for (const server of servers) server.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("builds through the docker context that config.json names (a socket to the real engine)", async () => {
    contextConnections = 0;
    writeFileSync(
      join(base.DOCKER_CONFIG ?? "", "config.json"),
      JSON.stringify({ currentContext: "real-socket" }),
    );
    try {
      const result = await cli(["env", "build", "ep"], { env: base, cwd: dir });
      expect(result.code, result.stderr).toBe(0);
      const name = /envforge\/envforge_[0-9a-f]{32}/.exec(result.stdout + result.stderr)?.[0];
      expect(name).toBeDefined();
      const image = (await docker.getImage(`${name ?? ""}:latest`).inspect()) as { Id: string };
      if (image.Id !== (await docker.getImage(BASE_IMAGE).inspect()).Id) madeImages.add(image.Id);
      expect(contextConnections).toBeGreaterThan(0);
    } finally {
      rmSync(join(base.DOCKER_CONFIG ?? "", "config.json"));
    }
  });

  it("env build with DOCKER_HOST at a missing socket fails fast, naming the socket (exit 5)", async () => {
    const socket = join(dir, "missing.sock");
    const started = performance.now();
    const result = await cli(["env", "build", "ep"], {
      env: { ...base, DOCKER_HOST: `unix://${socket}` },
      cwd: dir,
    });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toContain(
      `cannot reach the Docker engine at unix://${socket} (from DOCKER_HOST): no socket at ${socket} (ENOENT)`,
    );
    expect(result.stderr).not.toContain("BuildKit session");
  });

  it("env build with DOCKER_HOST at a closed loopback port names the address", async () => {
    const port = await closedPort();
    const result = await cli(["env", "build", "ep"], {
      env: { ...base, DOCKER_HOST: `tcp://127.0.0.1:${port}` },
      cwd: dir,
    });
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toContain(
      `cannot reach the Docker engine at tcp://127.0.0.1:${port} (from DOCKER_HOST): nothing accepts connections at 127.0.0.1:${port} (ECONNREFUSED)`,
    );
  });

  it("env build through DOCKER_CONTEXT names the context and its meta.json", async () => {
    const result = await cli(["env", "build", "ep"], {
      env: { ...base, DOCKER_CONTEXT: "closed-port" },
      cwd: dir,
    });
    expect(result.code, result.stderr).toBe(5);
    const meta = contextMetaPath(base.DOCKER_CONFIG ?? "", "closed-port");
    expect(result.stderr).toContain(
      `cannot reach the Docker engine at tcp://127.0.0.1:9 (from docker context "closed-port" (${meta})): nothing accepts connections at 127.0.0.1:9 (ECONNREFUSED)`,
    );
  });

  it("a context that does not exist is refused as input, naming its meta.json (exit 2)", async () => {
    const result = await cli(["env", "build", "ep"], {
      env: { ...base, DOCKER_CONTEXT: "nowhere" },
      cwd: dir,
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(contextMetaPath(base.DOCKER_CONFIG ?? "", "nowhere"));
    expect(result.stderr).toContain('docker context "nowhere" does not exist');
  });

  it("run with DOCKER_HOST at a missing socket names the socket", async () => {
    const socket = join(dir, "missing.sock");
    const result = await cli(["run", "ep", "--", "true"], {
      env: { ...base, DOCKER_HOST: `unix://${socket}` },
      cwd: dir,
    });
    // 5 today for an engine failure; `run` moves its own failures to 125 (issue 9, point 6).
    expect([5, 125]).toContain(result.code);
    expect(result.stderr).toContain(
      `cannot reach the Docker engine at unix://${socket} (from DOCKER_HOST): no socket at ${socket} (ENOENT)`,
    );
  });

  it("worker refuses to start when its engine cannot be reached, naming the endpoint (exit 5)", async () => {
    const socket = join(dir, "missing.sock");
    const result = await cli(["worker"], {
      env: { ...base, DOCKER_HOST: `unix://${socket}` },
      cwd: dir,
    });
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toContain(
      `cannot reach the Docker engine at unix://${socket} (from DOCKER_HOST): no socket at ${socket} (ENOENT)`,
    );
    expect(result.stderr).not.toContain("envforge worker:");
  });

  it("worker refuses a server on the endpoint that is not a Docker engine", async () => {
    const notDocker = createServer((socket) =>
      socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    );
    servers.push(notDocker);
    const port = await listen(notDocker);
    const result = await cli(["worker"], {
      env: { ...base, DOCKER_HOST: `tcp://127.0.0.1:${port}` },
      cwd: dir,
    });
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toContain(
      `the Docker engine at tcp://127.0.0.1:${port} (from DOCKER_HOST) did not answer its ping:`,
    );
  });

  it("the engine check gives up at its deadline on an endpoint that never answers", async () => {
    const silent = createServer(() => undefined);
    servers.push(silent);
    const port = await listen(silent);
    const started = performance.now();
    const error = await checkDockerEndpoint(
      { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_CONFIG: join(dir, "docker-config") },
      { deadlineMs: 300 },
    ).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toBe(
      `the Docker engine at tcp://127.0.0.1:${port} (from DOCKER_HOST) did not answer within 0.3 s`,
    );
    silent.close();
  });

  describe("TLS", () => {
    let certs: { good: string; otherCa: string };
    /**
     * A TLS proxy on loopback in front of the engine's socket that demands a client certificate
     * of the test CA. One per test: Node's https agent keeps connections alive per address.
     */
    async function startProxy(): Promise<{
      port: number;
      clientAuthorized: () => boolean | undefined;
    }> {
      let authorized: boolean | undefined;
      const server = createTlsServer(
        {
          key: readFileSync(join(certs.good, "server-key.pem")),
          cert: readFileSync(join(certs.good, "server.pem")),
          ca: readFileSync(join(certs.good, "ca.pem")),
          requestCert: true,
          rejectUnauthorized: true,
        },
        (socket: TLSSocket) => {
          authorized = socket.authorized;
          const engine = connect(DOCKER_SOCKET);
          socket.pipe(engine).pipe(socket);
          const close = (): void => {
            socket.destroy();
            engine.destroy();
          };
          socket.on("error", close);
          engine.on("error", close);
        },
      );
      server.on("tlsClientError", () => undefined);
      servers.push(server);
      return { port: await listen(server), clientAuthorized: () => authorized };
    }

    beforeAll(() => {
      certs = makeCerts(join(dir, "certs"));
    });

    it("DOCKER_TLS_VERIFY and DOCKER_CERT_PATH: the engine answers through TLS with the client certificate", async () => {
      const proxy = await startProxy();
      const client = dockerFromEnv({
        DOCKER_HOST: `tcp://127.0.0.1:${proxy.port}`,
        DOCKER_TLS_VERIFY: "1",
        DOCKER_CERT_PATH: certs.good,
        DOCKER_CONFIG: join(dir, "empty-docker-config"),
      });
      const version = (await client.version()) as { ApiVersion?: string };
      expect(version.ApiVersion).toMatch(/^1\.\d+$/);
      expect(proxy.clientAuthorized()).toBe(true);
    });

    it("a context's TLS folder is used for its tcp endpoint", async () => {
      const proxy = await startProxy();
      const config = join(dir, "tls-context-config");
      writeContext(config, "tls", `tcp://127.0.0.1:${proxy.port}`);
      const tlsDir = contextTlsDir(config, "tls");
      mkdirSync(tlsDir, { recursive: true });
      for (const file of ["ca.pem", "cert.pem", "key.pem"]) {
        writeFileSync(join(tlsDir, file), readFileSync(join(certs.good, file)));
      }
      const client = dockerFromEnv({ DOCKER_CONFIG: config, DOCKER_CONTEXT: "tls" });
      expect(await client.ping()).toBeTruthy();
      expect(proxy.clientAuthorized()).toBe(true);
    });

    it("a server the CA does not vouch for is reported as a TLS failure naming the endpoint", async () => {
      const { port: proxyPort } = await startProxy();
      const client = dockerFromEnv({
        DOCKER_HOST: `tcp://127.0.0.1:${proxyPort}`,
        DOCKER_TLS_VERIFY: "1",
        DOCKER_CERT_PATH: certs.otherCa,
        DOCKER_CONFIG: join(dir, "empty-docker-config"),
      });
      const error = await client.ping().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ExternalError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^cannot reach the Docker engine at tcp://127\\.0\\.0\\.1:${proxyPort} \\(TLS, verified\\) \\(from DOCKER_HOST\\): TLS with 127\\.0\\.0\\.1:${proxyPort} failed: .+ \\([A-Z_]+\\)$`,
        ),
      );
    });

    it("DOCKER_TLS_VERIFY without ca.pem is refused naming the file", () => {
      const proxyPort = 2376;
      const empty = join(dir, "no-certs");
      mkdirSync(empty, { recursive: true });
      expect(() =>
        dockerFromEnv({
          DOCKER_HOST: `tcp://127.0.0.1:${proxyPort}`,
          DOCKER_TLS_VERIFY: "1",
          DOCKER_CERT_PATH: empty,
        }),
      ).toThrow(join(empty, "ca.pem"));
    });
  });
});

function writeContext(configDir: string, name: string, host: string): void {
  const path = contextMetaPath(configDir, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(
    path,
    JSON.stringify({
      Name: name,
      Metadata: { Description: "envforge test" },
      Endpoints: { docker: { Host: host, SkipTLSVerify: false } },
    }),
  );
}

/** A CA with a server (IP 127.0.0.1) and a client certificate, and a second CA alone. */
function makeCerts(root: string): { good: string; otherCa: string } {
  const good = join(root, "good");
  const otherCa = join(root, "other");
  mkdirSync(good, { recursive: true });
  mkdirSync(otherCa, { recursive: true });
  const openssl = (cwd: string, ...args: string[]): void => {
    execFileSync("openssl", args, { cwd, stdio: "pipe" });
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  for (const folder of [good, otherCa]) {
    openssl(
      folder,
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca-key.pem",
      "-out",
      "ca.pem",
      "-days",
      "1",
      "-subj",
      "/CN=envforge test CA",
    );
  }
  writeFileSync(
    join(good, "server.ext"),
    "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
  );
  writeFileSync(join(good, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const [who, keyOut, certOut] of [
    ["server", "server-key.pem", "server.pem"],
    ["client", "key.pem", "cert.pem"],
  ] as const) {
    openssl(good, "req", ...ec, "-keyout", keyOut, "-out", `${who}.csr`, "-subj", `/CN=${who}`);
    openssl(
      good,
      "x509",
      "-req",
      "-in",
      `${who}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca-key.pem",
      "-CAcreateserial",
      "-out",
      certOut,
      "-days",
      "1",
      "-extfile",
      `${who}.ext`,
    );
  }
  // The other CA's folder carries the good client pair, so only the server check can fail.
  for (const file of ["cert.pem", "key.pem"]) {
    writeFileSync(join(otherCa, file), readFileSync(join(good, file)));
  }
  return { good, otherCa };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** A loopback port that was free a moment ago and has nothing listening. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("config show: the Docker endpoint and where it came from", () => {
  let dir: string;
  let dockerConfig: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "envforge-endpoint-config-"));
    dockerConfig = join(dir, "docker-config");
    writeContext(dockerConfig, "remote", "tcp://127.0.0.1:2376");
    const tlsDir = contextTlsDir(dockerConfig, "remote");
    mkdirSync(tlsDir, { recursive: true });
    writeFileSync(join(tlsDir, "ca.pem"), "not read by config show");
    writeFileSync(join(dir, "config.yaml"), "dockerHost: unix:///from/file.sock\n");
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const show = async (env: NodeJS.ProcessEnv, args: string[] = []) => {
    const result = await cli(["config", "show", "--json", ...args], {
      env: {
        HOME: dir,
        DOCKER_CONFIG: dockerConfig,
        ENVFORGE_CONFIG: join(dir, "none.yaml"),
        ...env,
      },
    });
    expect(result.code, result.stderr).toBe(0);
    return (JSON.parse(result.stdout) as { dockerEndpoint: Record<string, unknown> })
      .dockerEndpoint;
  };

  const cases: [string, NodeJS.ProcessEnv, string[], Record<string, unknown>][] = [
    [
      "nothing set: the default socket",
      {},
      [],
      {
        url: "unix:///var/run/docker.sock",
        source: "default",
        from: "the default socket",
        context: null,
      },
    ],
    [
      "DOCKER_HOST wins over DOCKER_CONTEXT",
      { DOCKER_HOST: "ssh://builder@127.0.0.1:2222", DOCKER_CONTEXT: "remote" },
      [],
      {
        url: "ssh://builder@127.0.0.1:2222",
        transport: "ssh",
        source: "environment",
        from: "DOCKER_HOST",
      },
    ],
    [
      "a context with a TLS folder",
      { DOCKER_CONTEXT: "remote" },
      [],
      {
        url: "tcp://127.0.0.1:2376",
        description: "tcp://127.0.0.1:2376 (TLS, verified)",
        transport: "tcp",
        tls: { verify: true },
        source: "context",
        context: {
          name: "remote",
          metaPath: contextMetaPath(join("<dir>", "docker-config"), "remote"),
        },
      },
    ],
    [
      "the config file's dockerHost",
      { ENVFORGE_CONFIG: "<dir>/config.yaml" },
      [],
      {
        url: "unix:///from/file.sock",
        source: "config file",
        from: "dockerHost in the config file",
      },
    ],
    [
      "the --docker-host flag",
      { DOCKER_HOST: "unix:///from/env.sock" },
      ["--docker-host", "tcp://127.0.0.1:2375"],
      { url: "tcp://127.0.0.1:2375", source: "flag", from: "--docker-host", tls: null },
    ],
  ];
  it.each(cases)("%s", async (_, env, args, expected) => {
    const inDir = (value: unknown): unknown =>
      typeof value === "string" ? value.replace("<dir>", dir) : value;
    const shown = await show(
      Object.fromEntries(Object.entries(env).map(([k, v]) => [k, inDir(v) as string])),
      args,
    );
    const context = expected.context as { name: string; metaPath: string } | null | undefined;
    expect(shown).toMatchObject({
      ...expected,
      ...(context ? { context: { ...context, metaPath: inDir(context.metaPath) } } : {}),
    });
  });

  it("prints the endpoint line, or why it cannot be read, and still exits 0", async () => {
    const base = {
      HOME: dir,
      DOCKER_CONFIG: dockerConfig,
      ENVFORGE_CONFIG: join(dir, "none.yaml"),
    };
    const remote = await cli(["config", "show"], { env: { ...base, DOCKER_CONTEXT: "remote" } });
    expect(remote.stdout).toContain(
      `docker endpoint: tcp://127.0.0.1:2376 (TLS, verified) (from docker context "remote" (${contextMetaPath(dockerConfig, "remote")}))\n`,
    );
    const missing = await cli(["config", "show"], { env: { ...base, DOCKER_CONTEXT: "gone" } });
    expect(missing.code, missing.stderr).toBe(0);
    expect(missing.stdout).toContain(
      `docker endpoint: cannot be read: ${contextMetaPath(dockerConfig, "gone")}: DOCKER_CONTEXT: docker context "gone" does not exist (no meta.json)`,
    );
  });
});

describe.skipIf(gate.skip)("ssh:// through docker-modem's own ssh transport", () => {
  let dir: string;
  let server: ssh2.Server;
  let port: number;
  const commands: string[] = [];

  beforeAll(async () => {
    gate.require();
    dir = mkdtempSync(join(tmpdir(), "envforge-endpoint-ssh-"));
    // The user's key where ssh would look for it (no agent), and the key the server accepts.
    mkdirSync(join(dir, ".ssh"));
    const userKey = ed25519Pair();
    writeFileSync(join(dir, ".ssh", "id_ed25519"), userKey.private, { mode: 0o600 });
    const allowed = ssh2.utils.parseKey(userKey.public);
    if (allowed instanceof Error) throw allowed;
    const hostKey = ed25519Pair().private;
    // A loopback ssh server that runs only `docker system dial-stdio`: the engine's socket.
    server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
      client.on("error", () => undefined);
      client.on("authentication", (context) => {
        const ok =
          context.method === "publickey" &&
          context.username === "builder" &&
          context.key.algo === allowed.type &&
          context.key.data.equals(allowed.getPublicSSH()) &&
          (context.signature === undefined ||
            allowed.verify(context.blob ?? Buffer.alloc(0), context.signature, context.hashAlgo));
        if (ok) context.accept();
        else context.reject(["publickey"]);
      });
      client.on("ready", () => {
        client.on("session", (acceptSession) => {
          acceptSession().on("exec", (accept, reject, info) => {
            commands.push(info.command);
            if (info.command !== "docker system dial-stdio") return reject();
            const channel = accept();
            const engine = connect(DOCKER_SOCKET);
            channel.pipe(engine).pipe(channel);
            engine.on("error", () => channel.close());
            channel.on("close", () => engine.destroy());
          });
        });
      });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    port = (server.address() as AddressInfo).port;
    // The server's key, as one ssh login would have recorded it.
    const hostPublic = ssh2.utils.parseKey(hostKey);
    if (hostPublic instanceof Error) throw hostPublic;
    writeFileSync(
      join(dir, ".ssh", "known_hosts"),
      `[127.0.0.1]:${port} ${hostPublic.type} ${hostPublic.getPublicSSH().toString("base64")}\n`,
    );
  });
  afterAll(() => {
    server?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("reaches the engine with the user's key, over `docker system dial-stdio`", async () => {
    const client = dockerFromEnv({
      DOCKER_HOST: `ssh://builder@127.0.0.1:${port}`,
      HOME: dir,
      DOCKER_CONFIG: join(dir, "docker-config"),
    });
    const version = (await client.version()) as { ApiVersion?: string };
    expect(version.ApiVersion).toMatch(/^1\.\d+$/);
    expect(commands).toContain("docker system dial-stdio");
  });

  it("a host key that known_hosts does not list is refused, as ssh refuses it", async () => {
    const stranger = join(dir, "stranger");
    mkdirSync(join(stranger, ".ssh"), { recursive: true });
    writeFileSync(
      join(stranger, ".ssh", "id_ed25519"),
      readFileSync(join(dir, ".ssh", "id_ed25519")),
      { mode: 0o600 },
    );
    const before = commands.length;
    const client = dockerFromEnv({
      DOCKER_HOST: `ssh://builder@127.0.0.1:${port}`,
      HOME: stranger,
      DOCKER_CONFIG: join(dir, "docker-config"),
    });
    const error = await client.ping().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toBe(
      `cannot reach the Docker engine at ssh://builder@127.0.0.1:${port} (from DOCKER_HOST): ssh to builder@127.0.0.1:${port} failed: Host denied (verification failed): its host key is not in known_hosts (add it, e.g. with one ssh login)`,
    );
    expect(commands.length).toBe(before);
  });

  it("a refused key is reported as ssh's failure, naming the user, host and port", async () => {
    const client = dockerFromEnv({
      DOCKER_HOST: `ssh://someone-else@127.0.0.1:${port}`,
      HOME: dir,
      DOCKER_CONFIG: join(dir, "docker-config"),
    });
    const error = await client.ping().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toBe(
      `cannot reach the Docker engine at ssh://someone-else@127.0.0.1:${port} (from DOCKER_HOST): ssh to someone-else@127.0.0.1:${port} failed: All configured authentication methods failed`,
    );
  });
});

/**
 * An ed25519 key pair from ssh2. Its generator drops a leading zero byte of the public key (about
 * one pair in 350), and such a pair parses in neither form: drawn again until both parse.
 */
function ed25519Pair(): { readonly private: string; readonly public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync("ed25519");
    const parses = (key: string): boolean => !(ssh2.utils.parseKey(key) instanceof Error);
    if (parses(pair.public) && parses(pair.private)) return pair;
  }
}
