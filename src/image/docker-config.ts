/**
 * Registry credentials the way the Docker CLI keeps them, so `docker login` is all a user does:
 * `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`) with `auths.<host>.auth`
 * (base64 of `user:password`), or a credential helper named by `credHelpers.<host>` or
 * `credsStore`. As in the Docker CLI, a configured helper is the only source for its hosts.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as z from "zod";
import { ExternalError, ValidationError } from "../errors/index.js";
import type { Problem } from "../errors/index.js";
import { runCredentialHelper } from "./credential-helper.js";
import type { CredentialSource, RegistryCredentials } from "./credentials.js";

export interface DockerConfigOptions {
  /** Reads DOCKER_CONFIG and HOME; the helpers run with it. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Used when HOME is unset. */
  readonly homedir?: string;
}

/** `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`. */
export function dockerConfigPath(options: DockerConfigOptions): string {
  const folder = options.env["DOCKER_CONFIG"];
  if (folder !== undefined && folder !== "") return path.join(folder, "config.json");
  const home = options.env["HOME"] ?? options.homedir ?? "";
  return path.join(home, ".docker", "config.json");
}

// Docker's own file: keys envforge does not read (psFormat, plugins, proxies, …) are allowed.
const WrittenAuthEntry = z.looseObject({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
});
const WrittenDockerConfig = z.looseObject({
  auths: z.record(z.string(), WrittenAuthEntry).optional(),
  credsStore: z.string().optional(),
  credHelpers: z.record(z.string(), z.string()).optional(),
});
type DockerConfig = z.infer<typeof WrittenDockerConfig>;

/** Credentials from the Docker config file named by `options.env`, read at each lookup. */
export function dockerConfigCredentials(options: DockerConfigOptions): CredentialSource {
  const file = dockerConfigPath(options);
  const find = async (registry: string): Promise<RegistryCredentials | undefined> => {
    const config = await readDockerConfig(file);
    if (config === undefined) return undefined;
    const helper = entryFor(config.credHelpers ?? {}, registry)?.[1] ?? config.credsStore;
    if (helper !== undefined && helper !== "") {
      const found = await runCredentialHelper({
        helper,
        server: registry,
        env: options.env,
        configuredIn: file,
      });
      if (found === undefined) return undefined;
      const source = `credential helper docker-credential-${helper}`;
      // docker-credential-helpers: the user `<token>` marks the secret as an identity token.
      if (found.username === "<token>") {
        return { username: found.username, password: "", identityToken: found.secret, source };
      }
      return { username: found.username, password: found.secret, source };
    }
    const entry = entryFor(config.auths ?? {}, registry);
    return entry === undefined ? undefined : fromAuthEntry(entry, file);
  };
  return { description: file, find };
}

async function readDockerConfig(file: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return undefined;
    throw new ExternalError(`could not read the Docker config ${file}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // No cause and no excerpt: the text may hold credentials.
    throw ValidationError.single({ file, message: "is not valid JSON", allowed: "a JSON object" });
  }
  const parsed = WrittenDockerConfig.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems: Problem[] = parsed.error.issues.map((issue) => ({
    file,
    key: issue.path.map(String).join("."),
    message: issue.message,
  }));
  throw new ValidationError(problems);
}

/** The entry for `registry`: its exact key, else a key such as `https://host/v1/` for its host. */
function entryFor<T>(
  entries: Readonly<Record<string, T>>,
  registry: string,
): [string, T] | undefined {
  const exact = entries[registry];
  if (exact !== undefined) return [registry, exact];
  for (const key of Object.keys(entries).sort()) {
    const value = entries[key];
    if (value !== undefined && hostOfKey(key) === registry) return [key, value];
  }
  return undefined;
}

/** The Docker CLI's ConvertToHostname: drop the scheme and any path. */
function hostOfKey(key: string): string {
  const withoutScheme = key.replace(/^https?:\/\//, "");
  return withoutScheme.split("/")[0] ?? withoutScheme;
}

function fromAuthEntry(
  [key, entry]: [string, z.infer<typeof WrittenAuthEntry>],
  file: string,
): RegistryCredentials | undefined {
  if (entry.identitytoken !== undefined && entry.identitytoken !== "") {
    // `docker login` keeps the user in `auth` with an empty password next to the token.
    const user = entry.auth === undefined ? "" : Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = user.indexOf(":");
    const username = (colon < 0 ? user : user.slice(0, colon)) || (entry.username ?? "<token>");
    return { username, password: "", identityToken: entry.identitytoken, source: file };
  }
  if (entry.auth !== undefined && entry.auth !== "") {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon <= 0) {
      throw ValidationError.single({
        file,
        key: `auths.${key}.auth`,
        message: "is not the base64 of user:password",
        allowed: 'base64 of "user:password", as `docker login` writes it',
      });
    }
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source: file };
  }
  if (entry.username !== undefined && entry.password !== undefined) {
    return { username: entry.username, password: entry.password, source: file };
  }
  return undefined;
}
