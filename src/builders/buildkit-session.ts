/**
 * A BuildKit session for one build: the engine calls back over it (gRPC on a hijacked `/session`
 * connection) for registry credentials when it pulls a base image and for the secrets that
 * `RUN --mount=type=secret` reads. dockerode's own session serves credentials only (one pair for
 * every host) and no secrets, so envforge opens its own and passes its id with the build.
 * moby/buildkit: session/secrets/secrets.proto, session/auth/auth.proto, grpc health.
 */
import { randomUUID } from "node:crypto";
import { Duplex } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import type Docker from "dockerode";
import { EnvforgeError, ExternalError } from "../errors/index.js";
import { readFields, stringField, writeFields } from "./protobuf-wire.js";

export interface SessionCredentials {
  readonly username: string;
  readonly password: string;
}

export interface BuildkitSessionOptions {
  readonly docker: Docker;
  /** Secret contents by id; never logged. */
  readonly secrets: ReadonlyMap<string, string>;
  /** Credentials for a registry host (e.g. `127.0.0.1:5001`), or undefined for anonymous. */
  readonly credentials: (host: string) => Promise<SessionCredentials | undefined>;
}

export interface BuildkitSession {
  readonly id: string;
  close(): void;
}

const SECRETS_GET = "/moby.buildkit.secrets.v1.Secrets/GetSecret";
const AUTH_CREDENTIALS = "/moby.filesync.v1.Auth/Credentials";
const HEALTH_CHECK = "/grpc.health.v1.Health/Check";

function unary(path: string): grpc.MethodDefinition<Buffer, Buffer> {
  const same = (value: Buffer): Buffer => value;
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: same,
    requestDeserialize: same,
    responseSerialize: same,
    responseDeserialize: same,
  };
}

type Unary = grpc.handleUnaryCall<Buffer, Buffer>;

export async function openBuildkitSession(
  options: BuildkitSessionOptions,
): Promise<BuildkitSession> {
  const id = randomUUID();
  const socket = await new Promise<Duplex>((resolve, reject) => {
    options.docker.modem.dial(
      {
        method: "POST",
        path: "/session",
        hijack: true,
        headers: {
          Upgrade: "h2c",
          "X-Docker-Expose-Session-Uuid": id,
          "X-Docker-Expose-Session-Name": "envforge",
          "X-Docker-Expose-Session-Sharedkey": id,
          "X-Docker-Expose-Session-Grpc-Method": [SECRETS_GET, AUTH_CREDENTIALS, HEALTH_CHECK],
        },
        statusCodes: { 101: true, 200: true, 500: "server error" },
      },
      (error: unknown, stream: unknown) => {
        if (error instanceof EnvforgeError) {
          reject(error); // the client's own report, e.g. the engine could not be reached
        } else if (error || !(stream instanceof Duplex)) {
          const why = error instanceof Error ? `: ${error.message}` : "";
          reject(
            new ExternalError(`the Docker engine refused a BuildKit session${why}`, {
              cause: error,
            }),
          );
        } else resolve(stream);
      },
    );
  });

  const server = new grpc.Server();
  const getSecret: Unary = (call, callback) => {
    const secretId = stringField(readFields(call.request), 1);
    const value = options.secrets.get(secretId);
    if (value === undefined) {
      callback({ code: grpc.status.NOT_FOUND, details: `secret ${secretId} not provided` });
    } else callback(null, writeFields([{ field: 1, value: Buffer.from(value, "utf8") }]));
  };
  const credentials: Unary = (call, callback) => {
    const host = stringField(readFields(call.request), 1);
    options.credentials(host).then(
      (found) =>
        callback(
          null,
          found === undefined
            ? Buffer.alloc(0)
            : writeFields([
                { field: 1, value: found.username },
                { field: 2, value: found.password },
              ]),
        ),
      // Anonymous, as the Docker CLI answers when its credential store fails.
      () => callback(null, Buffer.alloc(0)),
    );
  };
  // HealthCheckResponse { status: SERVING (1) }: BuildKit drops sessions that fail health checks.
  const health: Unary = (_call, callback) => callback(null, Buffer.from([0x08, 0x01]));
  server.addService({ GetSecret: unary(SECRETS_GET) }, { GetSecret: getSecret });
  server.addService({ Credentials: unary(AUTH_CREDENTIALS) }, { Credentials: credentials });
  server.addService({ Check: unary(HEALTH_CHECK) }, { Check: health });
  server.createConnectionInjector(grpc.ServerCredentials.createInsecure()).injectConnection(socket);

  return {
    id,
    close() {
      server.forceShutdown();
      socket.end();
    },
  };
}
