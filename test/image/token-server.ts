/**
 * A token server for registry tests, speaking the distribution token protocol honestly
 * (https://distribution.github.io/distribution/spec/auth/token/ and .../auth/jwt/): GET
 * realm?service=…&scope=repository:<name>:<actions> with optional Basic credentials, answered
 * with an RS256 JWT whose x5c header carries the certificate the registry trusts
 * (`auth.token.rootcertbundle`); also the OAuth2 POST with a refresh (identity) token. Known users
 * get the actions they ask for; anonymous callers get a token with no access; wrong credentials
 * get 401. Its 401 bodies echo the credentials they got, as a careless server might, so tests
 * can prove envforge redacts what servers echo.
 */
import { execFile } from "node:child_process";
import { createPrivateKey, randomBytes, sign, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { promisify } from "node:util";

export interface TokenRequest {
  readonly service: string | null;
  readonly scopes: readonly string[];
  readonly user: string | undefined;
}

export interface TokenServer {
  /** The realm URL to put in the registry config. */
  readonly realm: string;
  readonly requests: TokenRequest[];
  close(): Promise<void>;
}

export interface SigningKey {
  readonly keyPem: string;
  readonly certPem: string;
  readonly certPath: string;
}

/** A throw-away RSA key and self-signed certificate made with the openssl CLI. */
export async function makeSigningKey(dir: string): Promise<SigningKey> {
  const keyPath = path.join(dir, "token-key.pem");
  const certPath = path.join(dir, "token-cert.pem");
  await promisify(execFile)("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-batch",
    "-subj",
    "/CN=envforge-test-token-issuer",
    "-keyout",
    keyPath,
    "-out",
    certPath,
  ]);
  return {
    keyPem: await readFile(keyPath, "utf8"),
    certPem: await readFile(certPath, "utf8"),
    certPath,
  };
}

export async function startTokenServer(options: {
  readonly users: Readonly<Record<string, string>>;
  /** Repositories no one is granted anything in, whatever they ask. */
  readonly denied?: readonly string[];
  /** Identity (refresh) tokens accepted by the OAuth2 POST, and the user each stands for. */
  readonly refreshTokens?: Readonly<Record<string, string>>;
  readonly service: string;
  readonly issuer: string;
  readonly key: SigningKey;
  readonly tokenSeconds: number;
}): Promise<TokenServer> {
  const requests: TokenRequest[] = [];
  const privateKey = createPrivateKey(options.key.keyPem);
  const certDer = new X509Certificate(options.key.certPem).raw.toString("base64");

  const issue = (
    response: ServerResponse,
    service: string | null,
    scopes: readonly string[],
    user: string | undefined,
  ) => {
    requests.push({ service, scopes, user });
    if (service !== options.service) {
      return reply(response, 400, { errors: [{ code: "DENIED", message: "unknown service" }] });
    }
    const now = Math.floor(Date.now() / 1000);
    const access =
      user === undefined
        ? []
        : scopes.flatMap(grantsOf).filter((grant) => !options.denied?.includes(grant.name));
    const token = jwt(
      { typ: "JWT", alg: "RS256", x5c: [certDer] },
      {
        iss: options.issuer,
        sub: user ?? "",
        aud: options.service,
        exp: now + options.tokenSeconds,
        nbf: now - 1,
        iat: now,
        jti: randomBytes(8).toString("hex"),
        access,
      },
      privateKey,
    );
    return reply(response, 200, {
      token,
      access_token: token,
      expires_in: options.tokenSeconds,
      issued_at: new Date(now * 1000).toISOString(),
    });
  };

  // OAuth2 (distribution spec auth/oauth): a refresh token in a form body, scopes space-separated.
  const handlePost = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(Buffer.from(chunk as Uint8Array));
    const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
    const refresh = form.get("refresh_token") ?? "";
    const user = options.refreshTokens?.[refresh];
    if (form.get("grant_type") !== "refresh_token" || user === undefined) {
      return reply(response, 401, {
        errors: [{ code: "UNAUTHORIZED", message: `unknown refresh_token ${refresh}` }],
      });
    }
    const scopes = (form.get("scope") ?? "").split(" ").filter((scope) => scope !== "");
    return issue(response, form.get("service"), scopes, user);
  };

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/token") return reply(response, 404, { errors: [{ code: "NOT_FOUND" }] });
    if (request.method === "POST") {
      handlePost(request, response).catch(() => reply(response, 500, {}));
      return;
    }
    const authorization = request.headers.authorization;
    let user: string | undefined;
    if (authorization !== undefined) {
      const decoded = authorization.startsWith("Basic ")
        ? Buffer.from(authorization.slice(6), "base64").toString("utf8")
        : "";
      const colon = decoded.indexOf(":");
      const name = decoded.slice(0, colon);
      if (colon <= 0 || options.users[name] !== decoded.slice(colon + 1)) {
        return reply(response, 401, {
          errors: [{ code: "UNAUTHORIZED", message: `rejected Authorization: ${authorization}` }],
        });
      }
      user = name;
    }
    return issue(response, url.searchParams.get("service"), url.searchParams.getAll("scope"), user);
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `repository:a/b:pull,push` -> the access claim granting exactly that. */
function grantsOf(scope: string) {
  const [type, ...rest] = scope.split(":");
  const actions = (rest.pop() ?? "").split(",").filter((a) => a !== "");
  return type === "repository" ? [{ type, name: rest.join(":"), actions }] : [];
}

function jwt(header: object, claims: object, key: ReturnType<typeof createPrivateKey>): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${encode(header)}.${encode(claims)}`;
  return `${input}.${sign("sha256", Buffer.from(input), key).toString("base64url")}`;
}

function reply(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}
