/**
 * Which Docker engine to talk to, decided the way the Docker CLI decides it (docker/cli:
 * cli/command/cli.go resolveContextName, opts/hosts.go ParseHost, cli/context/docker/load.go).
 * Pure: the caller reads the files (docker-endpoint.ts) and passes their text in.
 *
 * Order: `DOCKER_HOST` (envforge's config file `dockerHost` fills it) wins; then
 * `DOCKER_CONTEXT`; then `currentContext` in `$DOCKER_CONFIG/config.json` (default
 * `~/.docker`); else the default socket. A context named `default` is the default socket.
 * TLS for `DOCKER_HOST` comes from `DOCKER_TLS_VERIFY` (any non-empty value: TLS, verified) or
 * `DOCKER_TLS` (TLS, not verified), with the files in `DOCKER_CERT_PATH` (default the config
 * folder); a context carries its own TLS files.
 */
import { createHash, createHmac } from "node:crypto";
import { join } from "node:path";
import * as z from "zod";
import { ExternalError, ValidationError } from "../errors/index.js";
import { nonEmpty } from "../host/non-empty.js";

export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/** TLS of a tcp endpoint: the folder with `ca.pem`, `cert.pem`, `key.pem`. */
export interface DockerTls {
  readonly verify: boolean;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export type DockerTransport =
  | { readonly kind: "unix"; readonly socketPath: string }
  | {
      readonly kind: "tcp";
      readonly host: string;
      readonly port: number;
      readonly tls?: DockerTls;
    }
  | {
      readonly kind: "ssh";
      readonly host: string;
      readonly port: number;
      readonly username?: string;
    };

export type DockerEndpointSource =
  | { readonly kind: "DOCKER_HOST" }
  | { readonly kind: "config file" }
  | { readonly kind: "context"; readonly name: string; readonly metaPath: string }
  | { readonly kind: "default" };

export interface DockerEndpoint {
  /** As a user writes it: `unix:///var/run/docker.sock`, `tcp://127.0.0.1:2376`, `ssh://u@h`. */
  readonly url: string;
  readonly transport: DockerTransport;
  readonly source: DockerEndpointSource;
}

/** The values of the environment this module reads. */
export interface DockerEnv {
  readonly DOCKER_HOST?: string | undefined;
  readonly DOCKER_CONTEXT?: string | undefined;
  readonly DOCKER_CONFIG?: string | undefined;
  readonly DOCKER_TLS_VERIFY?: string | undefined;
  readonly DOCKER_TLS?: string | undefined;
  readonly DOCKER_CERT_PATH?: string | undefined;
  readonly HOME?: string | undefined;
  readonly USER?: string | undefined;
  readonly SSH_AUTH_SOCK?: string | undefined;
  /** Set by envWithConfigFile: the variables that came from envforge's config file. */
  readonly ENVFORGE_FILLED_FROM_CONFIG_FILE?: string | undefined;
}

/** `$DOCKER_CONFIG`, default `$HOME/.docker` (`home` when HOME is unset). */
export function dockerConfigDir(env: DockerEnv, home: string): string {
  return nonEmpty(env.DOCKER_CONFIG) ?? join(nonEmpty(env.HOME) ?? home, ".docker");
}

/** The Docker CLI's folder name for a context: the sha256 of its name, in hex. */
export function contextDirName(name: string): string {
  return createHash("sha256").update(name, "utf8").digest("hex");
}

export function contextMetaPath(configDir: string, name: string): string {
  return join(configDir, "contexts", "meta", contextDirName(name), "meta.json");
}

export function contextTlsDir(configDir: string, name: string): string {
  return join(configDir, "contexts", "tls", contextDirName(name), "docker");
}

const ConfigJson = z.looseObject({ currentContext: z.string().optional() });

/**
 * The context in effect, or undefined for the default endpoint (DOCKER_HOST or the socket).
 * `configJson` is the text of `<config dir>/config.json`, if there is one.
 */
export function selectedContext(
  env: DockerEnv,
  configJson: { readonly path: string; readonly text: string } | undefined,
): string | undefined {
  if (nonEmpty(env.DOCKER_HOST) !== undefined) return undefined;
  const fromEnv = nonEmpty(env.DOCKER_CONTEXT);
  let name = fromEnv;
  if (name === undefined && configJson !== undefined) {
    const parsed = ConfigJson.safeParse(parseJson(configJson.text));
    if (!parsed.success) {
      throw ValidationError.single({
        file: configJson.path,
        key: "currentContext",
        message: "not a Docker CLI config file",
        found: configJson.text.trim().slice(0, 80),
        allowed: 'a JSON object, e.g. {"currentContext": "remote"}',
      });
    }
    name = nonEmpty(parsed.data.currentContext);
  }
  return name === undefined || name === "default" ? undefined : name;
}

/**
 * `DOCKER_HOST` as the Docker CLI reads it: `unix:///path`, `tcp://host[:port]` (a bare
 * `host:port` is tcp), `ssh://[user@]host[:port]`. `where` names the setting in messages.
 */
export function parseDockerHost(
  value: string,
  where: { readonly key: string; readonly file?: string },
  options: { readonly tls?: DockerTls; readonly user?: string } = {},
): DockerTransport {
  const text = value.trim();
  const refuse = (message: string): ValidationError =>
    ValidationError.single({
      ...(where.file === undefined ? {} : { file: where.file }),
      key: where.key,
      message,
      found: JSON.stringify(value),
      allowed:
        "unix:///var/run/docker.sock, tcp://127.0.0.1:2375 (TLS: DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH) or ssh://user@host",
    });
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === "unix") {
    const socketPath = text.slice("unix://".length);
    if (!socketPath.startsWith("/")) throw refuse("a unix socket needs an absolute path");
    return { kind: "unix", socketPath };
  }
  if (scheme !== undefined && scheme !== "tcp" && scheme !== "ssh") {
    throw refuse(
      scheme === "npipe"
        ? "named pipes are Windows only"
        : `scheme ${scheme}:// is not a Docker endpoint`,
    );
  }
  let url: URL;
  try {
    url = new URL(scheme === undefined ? `tcp://${text}` : text);
  } catch {
    throw refuse("not a URL");
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw refuse("no host");
  if (url.pathname !== "" && url.pathname !== "/") {
    throw refuse(`a path (${url.pathname}) is not supported`);
  }
  if (url.search !== "" || url.hash !== "") throw refuse("a query or fragment is not supported");
  if (scheme === "ssh") {
    if (url.password !== "") throw refuse("a password in the URL is not supported (use ssh-agent)");
    const username = decodeURIComponent(url.username) || nonEmpty(options.user);
    return {
      kind: "ssh",
      host,
      port: url.port === "" ? 22 : Number(url.port),
      ...(username === undefined ? {} : { username }),
    };
  }
  if (url.username !== "" || url.password !== "") throw refuse("a user is not allowed in tcp://");
  // The Docker CLI's defaults: 2376 with TLS, 2375 without.
  const port = url.port === "" ? (options.tls === undefined ? 2375 : 2376) : Number(url.port);
  return { kind: "tcp", host, port, ...(options.tls === undefined ? {} : { tls: options.tls }) };
}

/**
 * TLS for DOCKER_HOST from the environment, or undefined for plain tcp. The file paths are
 * returned whether or not they exist: the reader checks them.
 */
export function tlsFromEnv(env: DockerEnv, configDir: string): DockerTls | undefined {
  const verify = nonEmpty(env.DOCKER_TLS_VERIFY) !== undefined;
  if (!verify && nonEmpty(env.DOCKER_TLS) === undefined) return undefined;
  const dir = nonEmpty(env.DOCKER_CERT_PATH) ?? configDir;
  return {
    verify,
    ca: join(dir, "ca.pem"),
    cert: join(dir, "cert.pem"),
    key: join(dir, "key.pem"),
  };
}

const ContextMeta = z.looseObject({
  Name: z.string().optional(),
  Endpoints: z.looseObject({
    docker: z.looseObject({
      Host: z.string().min(1),
      SkipTLSVerify: z.boolean().optional(),
    }),
  }),
});

/**
 * A context's endpoint from its `meta.json` text. `tlsFiles` lists which of `ca.pem`,
 * `cert.pem`, `key.pem` exist in its TLS folder (`contextTlsDir`); any of them means TLS.
 */
export function endpointFromContext(options: {
  readonly name: string;
  readonly metaPath: string;
  readonly metaText: string | undefined;
  readonly tlsDir: string;
  readonly tlsFiles: readonly string[];
  readonly user?: string;
}): DockerEndpoint {
  const { name, metaPath } = options;
  if (options.metaText === undefined) {
    throw ValidationError.single({
      file: metaPath,
      key: "DOCKER_CONTEXT",
      message: `docker context "${name}" does not exist (no meta.json)`,
      found: JSON.stringify(name),
      allowed: "a context listed by `docker context ls`, or default",
    });
  }
  const parsed = ContextMeta.safeParse(parseJson(options.metaText));
  if (!parsed.success) {
    throw ValidationError.single({
      file: metaPath,
      key: "Endpoints.docker.Host",
      message: `docker context "${name}" has no Docker endpoint`,
      found: options.metaText.trim().slice(0, 120),
      allowed:
        '{"Name": "...", "Endpoints": {"docker": {"Host": "tcp://...", "SkipTLSVerify": false}}}',
    });
  }
  const docker = parsed.data.Endpoints.docker;
  const has = (file: string): string | undefined =>
    options.tlsFiles.includes(file) ? join(options.tlsDir, file) : undefined;
  const files = { ca: has("ca.pem"), cert: has("cert.pem"), key: has("key.pem") };
  const tls: DockerTls | undefined =
    files.ca === undefined && files.cert === undefined && files.key === undefined
      ? docker.SkipTLSVerify === true
        ? { verify: false }
        : undefined
      : { verify: docker.SkipTLSVerify !== true, ...definedOnly(files) };
  const transport = parseDockerHost(
    docker.Host,
    { key: "Endpoints.docker.Host", file: metaPath },
    {
      ...(tls === undefined ? {} : { tls }),
      ...(options.user === undefined ? {} : { user: options.user }),
    },
  );
  return { url: docker.Host.trim(), transport, source: { kind: "context", name, metaPath } };
}

/** DOCKER_HOST's endpoint (from the environment or envforge's config file), or the default. */
export function endpointFromHost(env: DockerEnv, configDir: string): DockerEndpoint {
  const host = nonEmpty(env.DOCKER_HOST);
  if (host === undefined) {
    return {
      url: `unix://${DEFAULT_DOCKER_SOCKET}`,
      transport: { kind: "unix", socketPath: DEFAULT_DOCKER_SOCKET },
      source: { kind: "default" },
    };
  }
  const fromFile = (env.ENVFORGE_FILLED_FROM_CONFIG_FILE ?? "").split(",").includes("DOCKER_HOST");
  const tls = tlsFromEnv(env, configDir);
  const transport = parseDockerHost(
    host,
    { key: fromFile ? "dockerHost" : "DOCKER_HOST" },
    {
      ...(tls === undefined ? {} : { tls }),
      ...(env.USER === undefined ? {} : { user: env.USER }),
    },
  );
  return { url: host, transport, source: { kind: fromFile ? "config file" : "DOCKER_HOST" } };
}

/**
 * The keys ssh itself would try when no agent is running (`SSH_AUTH_SOCK` unset), in ssh's
 * order; the reader uses the first that exists. With an agent, the agent alone is used.
 */
export function sshIdentityCandidates(env: DockerEnv, home: string): readonly string[] {
  if (nonEmpty(env.SSH_AUTH_SOCK) !== undefined) return [];
  const dir = join(nonEmpty(env.HOME) ?? home, ".ssh");
  return ["id_ed25519", "id_ecdsa", "id_rsa"].map((name) => join(dir, name));
}

/** Where ssh looks for known host keys: the user's file, then the system's. */
export function knownHostsFiles(env: DockerEnv, home: string): readonly string[] {
  return [join(nonEmpty(env.HOME) ?? home, ".ssh", "known_hosts"), "/etc/ssh/ssh_known_hosts"];
}

/**
 * The host keys (base64 of the key blob) that `known_hosts` text lists for host:port, as ssh
 * matches them (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): `host` for port 22, else `[host]:port`;
 * comma-separated patterns with `*`, `?` and `!` negation; hashed names `|1|salt|hmac-sha1`.
 * `@revoked` keys are returned apart; `@cert-authority` lines are not supported and skipped.
 */
export function knownHostKeys(
  text: string,
  host: string,
  port: number,
): { readonly keys: readonly string[]; readonly revoked: readonly string[] } {
  const name = port === 22 ? host : `[${host}]:${port}`;
  const keys: string[] = [];
  const revoked: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]?.startsWith("@") === true ? fields.shift() : undefined;
    const [patterns, , key] = fields;
    if (patterns === undefined || key === undefined || marker === "@cert-authority") continue;
    if (!hostMatches(patterns, name)) continue;
    (marker === "@revoked" ? revoked : keys).push(key);
  }
  return { keys, revoked };
}

function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith("|1|")) {
    const [, , salt, hash] = patterns.split("|");
    if (salt === undefined || hash === undefined) return false;
    const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return mac === hash;
  }
  let matched = false;
  for (const pattern of patterns.split(",")) {
    const negated = pattern.startsWith("!");
    const glob = negated ? pattern.slice(1) : pattern;
    const regex = new RegExp(
      `^${glob
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
      "i",
    );
    if (!regex.test(name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** `DOCKER_HOST`, `docker context "remote" (<meta.json>)`, `the default socket`. */
export function describeSource(source: DockerEndpointSource): string {
  switch (source.kind) {
    case "DOCKER_HOST":
      return "DOCKER_HOST";
    case "config file":
      return "dockerHost in the envforge config file";
    case "context":
      return `docker context "${source.name}" (${source.metaPath})`;
    case "default":
      return "the default socket";
  }
}

/** `tcp://127.0.0.1:2376 (TLS, verified)`: the endpoint with how envforge talks to it. */
export function describeEndpoint(endpoint: DockerEndpoint): string {
  const t = endpoint.transport;
  const tls = t.kind === "tcp" && t.tls !== undefined;
  const how = tls ? ` (TLS${t.tls?.verify === true ? ", verified" : ", not verified"})` : "";
  return `${endpoint.url}${how}`;
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$)/;

/**
 * Why a connection to the endpoint failed, in words, when `error` is a connection failure
 * (the engine was never reached); undefined for anything else (the engine answered).
 */
export function connectionFailure(error: unknown, endpoint: DockerEndpoint): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = "code" in error && typeof error.code === "string" ? error.code : undefined;
  const t = endpoint.transport;
  const where =
    t.kind === "unix" ? t.socketPath : `${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}`;
  if (t.kind === "ssh" && "level" in error) {
    // ssh2 marks its own failures with a level: client-socket, client-authentication, ...
    const denied = /Host denied/.test(error.message)
      ? ": its host key is not in known_hosts (add it, e.g. with one ssh login)"
      : "";
    return `ssh to ${t.username === undefined ? "" : `${t.username}@`}${where} failed: ${error.message}${denied}`;
  }
  switch (code) {
    case "ENOENT":
      return `no socket at ${where} (ENOENT)`;
    case "EACCES":
    case "EPERM":
      return `permission denied on ${where} (${code})`;
    case "ECONNREFUSED":
      return `nothing accepts connections at ${where} (ECONNREFUSED)`;
    case "ENOTSOCK":
      return `${where} is not a socket (ENOTSOCK)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the host name of ${where} does not resolve (${code})`;
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `${where} cannot be reached (${code})`;
    case "ECONNRESET":
    case "EPIPE":
      return t.kind === "tcp" && t.tls !== undefined
        ? `${where} closed the connection during the TLS handshake (${code}): is it a TLS endpoint?`
        : `${where} closed the connection (${code})`;
    default:
      if (code !== undefined && TLS_CODES.test(code)) {
        return `TLS with ${where} failed: ${error.message} (${code})`;
      }
      return undefined;
  }
}

/** The error every command reports when the engine cannot be reached. */
export function engineUnreachable(
  endpoint: DockerEndpoint,
  why: string,
  cause: unknown,
): ExternalError {
  return new ExternalError(
    `cannot reach the Docker engine at ${describeEndpoint(endpoint)} (from ${describeSource(endpoint.source)}): ${why}`,
    { cause },
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function definedOnly<T extends Record<string, string | undefined>>(
  record: T,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value;
  return out;
}
