/**
 * envforge's settings from three places, in this order: command-line flags, environment
 * variables, the config file (`$ENVFORGE_CONFIG`, default `$XDG_CONFIG_HOME/envforge/config.yaml`).
 * The file holds the same settings as the variables, under camelCase keys; unknown keys are
 * errors. `envWithConfigFile` folds the file into an environment, so every reader of a variable
 * (the store, the parser settings, the builder) sees one answer.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { DEFAULT_PARSE_SETTINGS } from "../definition/definition.js";
import {
  DEFAULT_CHANNEL_ALIAS,
  DEFAULT_CHANNELS,
  DEFAULT_NETWORK_TIMEOUT_MS,
  DEFAULT_PIP_INDEX_URL,
} from "./config.js";
import { readOptionalSourceText } from "./file-errors.js";
import { nonEmpty } from "./non-empty.js";

export const CONFIG_FILE_VARIABLE = "ENVFORGE_CONFIG";

export type SettingSource = "flag" | "environment" | "config file" | "default" | "unset";

interface SettingSpec {
  /** Key in the config file. */
  readonly key: string;
  readonly variable: string;
  readonly description: string;
  /** Masked by `config show`. */
  readonly secret: "none" | "password-in-url" | "passwords-in-urls" | "userinfo" | "whole";
  readonly fallback?: (env: NodeJS.ProcessEnv) => string;
  /** For a setting with no default: what leaving it unset means, shown by `config show`. */
  readonly whenUnset?: string;
}

/** Every setting, in the order `config show` prints them. */
export const SETTINGS: readonly SettingSpec[] = [
  {
    key: "home",
    variable: "ENVFORGE_HOME",
    description: "the local workspace (SQLite) and caches",
    secret: "none",
    fallback: (env) =>
      join(nonEmpty(env.XDG_DATA_HOME) ?? join(homedir(), ".local", "share"), "envforge"),
  },
  {
    key: "databaseUrl",
    variable: "ENVFORGE_DATABASE_URL",
    description: "PostgreSQL workspace (else SQLite under home)",
    secret: "password-in-url",
    whenUnset: "a SQLite workspace under home",
  },
  {
    key: "registry",
    variable: "ENVFORGE_REGISTRY",
    description: "where images are pushed, e.g. 127.0.0.1:5000/envforge",
    secret: "userinfo",
    whenUnset: "images stay in the local Docker engine, never pushed",
  },
  {
    key: "baseImage",
    variable: "ENVFORGE_BASE_IMAGE",
    description: "base image of definitions that name none",
    secret: "none",
    fallback: () => DEFAULT_PARSE_SETTINGS.defaultBaseImage,
  },
  {
    key: "builder",
    variable: "ENVFORGE_BUILDER",
    description:
      "image builder: native, docker, or auto (native for what it can build, docker otherwise)",
    secret: "none",
    fallback: () => "auto",
  },
  {
    key: "dockerHost",
    variable: "DOCKER_HOST",
    description: "Docker engine endpoint (unix://, tcp://, ssh://)",
    secret: "none",
    whenUnset: "the docker context in effect, else unix:///var/run/docker.sock",
  },
  {
    key: "channelAlias",
    variable: "ENVFORGE_CHANNEL_ALIAS",
    description: "conda's channel alias: a bare channel name n is <alias>/n",
    secret: "password-in-url",
    fallback: () => DEFAULT_CHANNEL_ALIAS,
  },
  {
    key: "defaultChannels",
    variable: "ENVFORGE_DEFAULT_CHANNELS",
    description: "what the channel `defaults` means: URLs in order",
    secret: "passwords-in-urls",
    fallback: () => DEFAULT_CHANNELS.join(","),
  },
  {
    key: "channelUrls",
    variable: "ENVFORGE_CHANNEL_URLS",
    description: "name=url pairs that win over the alias and defaults",
    secret: "passwords-in-urls",
    whenUnset: "every name through the alias and defaults",
  },
  {
    key: "pipIndexUrl",
    variable: "ENVFORGE_PIP_INDEX_URL",
    description: "pip's index for definitions that name no --index-url",
    secret: "password-in-url",
    fallback: () => DEFAULT_PIP_INDEX_URL,
  },
  {
    key: "networkTimeout",
    variable: "ENVFORGE_NETWORK_TIMEOUT",
    description:
      "seconds a channel may take to answer, or stay silent mid-download, before the attempt is given up",
    secret: "none",
    fallback: () => String(DEFAULT_NETWORK_TIMEOUT_MS / 1000),
  },
  {
    key: "server",
    variable: "ENVFORGE_SERVER",
    description: "an envforge server to talk to instead of the local workspace",
    secret: "userinfo",
    whenUnset: "the local workspace",
  },
  { key: "token", variable: "ENVFORGE_TOKEN", description: "API token", secret: "whole" },
];

export interface ConfigFile {
  readonly path: string;
  readonly exists: boolean;
  /** Config-file key → value. */
  readonly values: Readonly<Record<string, string>>;
}

export function configFilePath(env: NodeJS.ProcessEnv): string {
  return (
    nonEmpty(env[CONFIG_FILE_VARIABLE]) ??
    join(
      nonEmpty(env.XDG_CONFIG_HOME) ?? join(nonEmpty(env.HOME) ?? homedir(), ".config"),
      "envforge",
      "config.yaml",
    )
  );
}

export async function readConfigFile(env: NodeJS.ProcessEnv): Promise<ConfigFile> {
  const path = configFilePath(env);
  const source = await readOptionalSourceText(path);
  if (source === undefined) return { path, exists: false, values: {} };
  // The parser (yaml, zod) loads only for a file that exists: most runs have none.
  const { parseConfigFile } = await import("./config-file-parse.js");
  const keys = SETTINGS.map((setting) => setting.key);
  return { path, exists: true, values: parseConfigFile(source, keys) };
}

/**
 * Names the variables envWithConfigFile filled in, so `config show` still says they came from
 * the file (and folding twice changes nothing).
 */
export const FILLED_FROM_FILE_VARIABLE = "ENVFORGE_FILLED_FROM_CONFIG_FILE";

/** The environment with the file's settings filled in where the environment has none. */
export function envWithConfigFile(env: NodeJS.ProcessEnv, file: ConfigFile): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  const filled = new Set(filledFromFile(env));
  for (const setting of SETTINGS) {
    const value = file.values[setting.key];
    if (value !== undefined && nonEmpty(env[setting.variable]) === undefined) {
      out[setting.variable] = value;
      filled.add(setting.variable);
    }
  }
  if (filled.size > 0) out[FILLED_FROM_FILE_VARIABLE] = [...filled].sort().join(",");
  return out;
}

function filledFromFile(env: NodeJS.ProcessEnv): string[] {
  return (env[FILLED_FROM_FILE_VARIABLE] ?? "").split(",").filter((name) => name !== "");
}

export interface ResolvedSetting {
  readonly key: string;
  readonly variable: string;
  readonly description: string;
  /** Masked when secret. */
  readonly value: string | null;
  readonly source: SettingSource;
  /** With no value: what that means (`images stay in the local Docker engine, …`), else null. */
  readonly whenUnset: string | null;
}

/** Each setting with where its value came from: flag > environment > config file > default. */
export function resolveSettings(options: {
  readonly env: NodeJS.ProcessEnv;
  readonly file: ConfigFile;
  /** Config-file key → value given on the command line. */
  readonly flags?: Readonly<Record<string, string | undefined>>;
}): ResolvedSetting[] {
  const filled = new Set(filledFromFile(options.env));
  return SETTINGS.map((setting) => {
    const fromEnv = filled.has(setting.variable) ? undefined : options.env[setting.variable];
    const candidates: [SettingSource, string | undefined][] = [
      ["flag", nonEmpty(options.flags?.[setting.key])],
      ["environment", nonEmpty(fromEnv)],
      ["config file", options.file.values[setting.key]],
      ["default", setting.fallback?.(options.env)],
    ];
    const found = candidates.find(([, value]) => value !== undefined);
    const [source, value] = found ?? ["unset", undefined];
    return {
      key: setting.key,
      variable: setting.variable,
      description: setting.description,
      value: value === undefined ? null : mask(value, setting.secret),
      source,
      whenUnset: value === undefined ? (setting.whenUnset ?? null) : null,
    };
  });
}

/** `postgres://user:***@host/db`; a whole secret becomes `***`. */
export function mask(value: string, secret: SettingSpec["secret"]): string {
  if (secret === "none") return value;
  if (secret === "whole") return "***";
  if (secret === "userinfo") {
    // `https://user:pass@h`, `https://token@h` or a registry's `user:pass@h:5000/ns`: the whole
    // user part, since a lone user part is usually a token.
    return value.replace(
      /^([a-z][a-z0-9+.-]*:\/\/)?[^/?#\s]*@/i,
      (_all, scheme?: string) => `${scheme ?? ""}***@`,
    );
  }
  if (secret === "passwords-in-urls") {
    // `a=http://u:p@h/x,b=…` or `http://…,http://…`: each URL masked, the separators kept.
    return value.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s,]+/gi, (url) => mask(url, "password-in-url"));
  }
  try {
    const url = new URL(value);
    // Unchanged without a password: URL would add a trailing slash to a bare origin.
    if (url.password === "") return value;
    url.password = "***";
    return url.toString();
  } catch {
    return "***";
  }
}
