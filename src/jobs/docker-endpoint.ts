/**
 * A dockerode client for DOCKER_HOST as Docker reads it: `unix:///path` (the default,
 * /var/run/docker.sock) or `tcp://host:port` (plain HTTP; TLS endpoints are not supported yet).
 */
import Docker from "dockerode";
import { ValidationError } from "../errors/index.js";

export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

export function dockerFromHost(dockerHost: string | undefined): Docker {
  if (dockerHost === undefined || dockerHost.trim() === "") {
    return new Docker({ socketPath: DEFAULT_DOCKER_SOCKET });
  }
  const unix = /^unix:\/\/(\/.+)$/.exec(dockerHost);
  if (unix?.[1] !== undefined) return new Docker({ socketPath: unix[1] });
  const tcp = /^tcp:\/\/([^:/]+):(\d{1,5})\/?$/.exec(dockerHost);
  if (tcp?.[1] !== undefined && tcp[2] !== undefined) {
    return new Docker({ protocol: "http", host: tcp[1], port: Number(tcp[2]) });
  }
  throw ValidationError.single({
    key: "DOCKER_HOST",
    message: "not a Docker endpoint envforge can use",
    found: JSON.stringify(dockerHost),
    allowed: "unix:///var/run/docker.sock or tcp://127.0.0.1:2375",
  });
}
