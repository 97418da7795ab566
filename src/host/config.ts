import { homedir } from "node:os";
import { join } from "node:path";
import { DEFAULT_PARSE_SETTINGS } from "../definition/definition.js";
import { ValidationError } from "../errors/index.js";
import type { ParseSettings } from "../definition/definition.js";
import { nonEmpty } from "./non-empty.js";

/**
 * conda's `channel_alias`: a bare channel name `n` means `<alias>/n`, as conda, mamba and pixi
 * read `conda-forge`.
 */
export const DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org";
/** conda's `default_channels` on linux and macOS: what the channel `defaults` means, in order. */
export const DEFAULT_CHANNELS: readonly string[] = [
  "https://repo.anaconda.com/pkgs/main",
  "https://repo.anaconda.com/pkgs/r",
];
/** pip's default index, used when a definition names no `--index-url`. */
export const DEFAULT_PIP_INDEX_URL = "https://pypi.org/simple";

/** How channel names become URLs (conda/channels.ts reads it as its ChannelConfig). */
export interface ChannelSettings {
  /** `$ENVFORGE_CHANNEL_URLS` (`name=url` pairs): wins over the alias and `defaults`. */
  readonly urls: Readonly<Record<string, string>>;
  /** `$ENVFORGE_CHANNEL_ALIAS`, default DEFAULT_CHANNEL_ALIAS. */
  readonly channelAlias: string;
  /** `$ENVFORGE_DEFAULT_CHANNELS` (URLs, in order), default DEFAULT_CHANNELS. */
  readonly defaultChannels: readonly string[];
}

/**
 * Configuration read from the environment (flags override it at the surfaces). Only the values
 * the current commands need; each comes with its variable so `config show` can explain it.
 */
export interface EnvforgeConfig {
  /** `$ENVFORGE_HOME`, default `~/.local/share/envforge`: the SQLite workspace and caches. */
  readonly home: string;
  readonly parse: ParseSettings;
  /** `$ENVFORGE_DATABASE_URL`: a PostgreSQL workspace; absent: SQLite under `home`. */
  readonly databaseUrl?: string;
  /** `$ENVFORGE_REGISTRY`: where builds push, e.g. `127.0.0.1:5000/envforge`. */
  readonly registry?: string;
  /**
   * `$ENVFORGE_BUILDER`: `native`, `docker`, or `auto` (unset: native for every definition it
   * can build, docker for the rest).
   */
  readonly builder: BuilderName;
  /** `$SOURCE_DATE_EPOCH` (seconds, default 0): the time of every file and config a build writes. */
  readonly sourceDateEpoch: number;
  /** `$DOCKER_HOST`; absent: the local socket. */
  readonly dockerHost?: string;
  readonly channels: ChannelSettings;
  /** `$ENVFORGE_PIP_INDEX_URL`, default DEFAULT_PIP_INDEX_URL: pip's index when a definition names none. */
  readonly pipIndexUrl: string;
  /**
   * `$ENVFORGE_NETWORK_TIMEOUT` (seconds, default 30): the connect and idle deadline of every
   * package download; a channel silent that long is given up (and retried).
   */
  readonly networkTimeoutMs: number;
}

export const DEFAULT_NETWORK_TIMEOUT_MS = 30_000;

export const BUILDER_NAMES = ["auto", "native", "docker"] as const;
export type BuilderName = (typeof BUILDER_NAMES)[number];

export function isBuilderName(value: string): value is BuilderName {
  return (BUILDER_NAMES as readonly string[]).includes(value);
}

/** An unknown builder is a configuration error at start, never a build stuck in `queued`. */
function builderName(value: string | undefined): BuilderName {
  const text = nonEmpty(value) ?? "auto";
  if (isBuilderName(text)) return text;
  throw ValidationError.single({
    key: "ENVFORGE_BUILDER",
    message: "unknown image builder",
    found: JSON.stringify(text),
    allowed: BUILDER_NAMES.join(", "),
  });
}

function sourceDateEpoch(value: string | undefined): number {
  const text = nonEmpty(value);
  if (text === undefined) return 0;
  if (!/^\d{1,12}$/.test(text)) {
    throw ValidationError.single({
      key: "SOURCE_DATE_EPOCH",
      message: "is not a number of seconds since 1970",
      found: JSON.stringify(text),
      allowed: "a whole number of seconds, e.g. 1700000000",
    });
  }
  return Number(text);
}

/**
 * A surface's configuration, read once by its composition root (the CLI per invocation, the
 * server at start, the SDK at Workspace.open) and passed down: the environment with the config
 * file folded in (engine adapters read their own variables from it, as Docker's client does)
 * and the typed settings read from it.
 */
export interface SurfaceSettings {
  readonly env: NodeJS.ProcessEnv;
  readonly config: EnvforgeConfig;
}

export function surfaceSettings(env: NodeJS.ProcessEnv): SurfaceSettings {
  return { env, config: readConfig(env) };
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): EnvforgeConfig {
  const home =
    nonEmpty(env.ENVFORGE_HOME) ??
    join(nonEmpty(env.XDG_DATA_HOME) ?? join(homedir(), ".local", "share"), "envforge");
  const registry = nonEmpty(env.ENVFORGE_REGISTRY);
  const dockerHost = nonEmpty(env.DOCKER_HOST);
  const databaseUrl = nonEmpty(env.ENVFORGE_DATABASE_URL);
  return {
    home,
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    ...(registry === undefined ? {} : { registry }),
    builder: builderName(env.ENVFORGE_BUILDER),
    sourceDateEpoch: sourceDateEpoch(env.SOURCE_DATE_EPOCH),
    ...(dockerHost === undefined ? {} : { dockerHost }),
    channels: channelSettings(env),
    pipIndexUrl: withoutTrailingSlash(
      nonEmpty(env.ENVFORGE_PIP_INDEX_URL) ?? DEFAULT_PIP_INDEX_URL,
    ),
    networkTimeoutMs: networkTimeoutMs(env.ENVFORGE_NETWORK_TIMEOUT),
    parse: {
      defaultBaseImage:
        nonEmpty(env.ENVFORGE_BASE_IMAGE) ?? DEFAULT_PARSE_SETTINGS.defaultBaseImage,
      defaultPythonVersion:
        nonEmpty(env.ENVFORGE_PYTHON_VERSION) ?? DEFAULT_PARSE_SETTINGS.defaultPythonVersion,
      defaultPlatform: nonEmpty(env.ENVFORGE_PLATFORM) ?? DEFAULT_PARSE_SETTINGS.defaultPlatform,
    },
  };
}

/** The channel settings alone (the lock resolvers need no more). */
export function channelSettings(env: NodeJS.ProcessEnv): ChannelSettings {
  const urls: Record<string, string> = {};
  for (const pair of listSetting(env.ENVFORGE_CHANNEL_URLS)) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    urls[pair.slice(0, at)] = withoutTrailingSlash(pair.slice(at + 1));
  }
  const defaults = listSetting(env.ENVFORGE_DEFAULT_CHANNELS).map(withoutTrailingSlash);
  return {
    urls,
    channelAlias: withoutTrailingSlash(
      nonEmpty(env.ENVFORGE_CHANNEL_ALIAS) ?? DEFAULT_CHANNEL_ALIAS,
    ),
    defaultChannels: defaults.length > 0 ? defaults : DEFAULT_CHANNELS,
  };
}

function networkTimeoutMs(value: string | undefined): number {
  const text = nonEmpty(value);
  if (text === undefined) return DEFAULT_NETWORK_TIMEOUT_MS;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || seconds <= 0 || seconds > 86_400) {
    throw ValidationError.single({
      key: "ENVFORGE_NETWORK_TIMEOUT",
      message: "is not a number of seconds",
      found: JSON.stringify(text),
      allowed: "a number of seconds above 0 and up to 86400, e.g. 30",
    });
  }
  return Math.round(seconds * 1000);
}

/** Entries separated by commas or whitespace. */
function listSetting(value: string | undefined): string[] {
  return (value ?? "").split(/[\s,]+/).filter((entry) => entry !== "");
}

function withoutTrailingSlash(url: string): string {
  return url.trim().replace(/\/+$/, "");
}
