/**
 * Conda channels: what a definition writes (`defaults`, `conda-forge`, `http://…/channel`,
 * `./local-channel`) turned into base URLs. Names map to URLs through the configuration
 * (host/config.ts, where conda's own defaults are written once); `defaults` may stand for several
 * URLs. A workspace may restrict channels with an allow-list.
 */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ProblemCollector } from "../errors/index.js";
import { channelSettings } from "../host/config.js";
import type { Problem } from "../errors/index.js";
import { stripUrlCredentials } from "../definition/definition-hash.js";

export interface Channel {
  /** As written in the definition, e.g. `defaults`, `conda-forge`, `http://h/ch`, `./ch`. */
  readonly name: string;
  /** Base URL without a trailing slash: `http(s)://…` or `file:///…` for a local folder. */
  readonly url: string;
  /** Absolute folder of a local channel; envforge serves it on loopback for the solver. */
  readonly localPath?: string;
}

/** How channel names become URLs. */
export interface ChannelConfig {
  /** Channel name → base URL, e.g. `{ defaults: "http://127.0.0.1:8080/defaults" }`. */
  readonly urls: Readonly<Record<string, string>>;
  /** conda's `channel_alias`: any other bare name `n` becomes `<channelAlias>/<n>`. */
  readonly channelAlias?: string;
  /** What `defaults` expands to, in order, unless `urls.defaults` names one URL for it. */
  readonly defaultChannels?: readonly string[];
}

/**
 * A workspace's channel policy. `allows` sees the resolved channel (name and URL), so a policy
 * may match either; `description` is what the user is told is allowed.
 */
export interface ChannelAllowList {
  readonly allows: (channel: Channel) => boolean;
  readonly description: string;
}

/** conda: an environment.yml entry that only switches off the implicit `defaults`. */
const NODEFAULTS = "nodefaults";

/**
 * The configured mapping: `ENVFORGE_CHANNEL_URLS` (`name=url` pairs), `ENVFORGE_CHANNEL_ALIAS`
 * (a base URL for every other bare name) and `ENVFORGE_DEFAULT_CHANNELS` (what `defaults` is),
 * each with conda's own default when unset.
 */
export function channelConfigFromEnv(env: NodeJS.ProcessEnv): ChannelConfig {
  return channelSettings(env);
}

/** An allow-list of channel names and URL prefixes (`https://mirror.example/conda/`). */
export function channelAllowList(entries: readonly string[]): ChannelAllowList {
  const names = new Set(entries);
  const prefixes = entries.filter((entry) => /^[a-z][a-z0-9+.-]*:\/\//i.test(entry));
  return {
    allows: (channel) =>
      names.has(channel.name) ||
      names.has(channel.url) ||
      prefixes.some((prefix) => `${channel.url}/`.startsWith(trimSlashes(prefix) + "/")),
    description: entries.length === 0 ? "no channel" : entries.join(", "),
  };
}

export interface ResolveChannelsOptions {
  /** Channels as written, in priority order. Empty means `defaults`, as conda does. */
  readonly channels: readonly string[];
  readonly config: ChannelConfig;
  /** Folder that relative local channel paths are relative to (the definition's folder). */
  readonly baseDir: string;
  readonly allowList?: ChannelAllowList;
  /** For messages: the file the channels came from. */
  readonly file?: string;
}

/** Resolves every channel, collecting all problems before failing once with a ValidationError. */
export function resolveChannels(options: ResolveChannelsOptions): readonly Channel[] {
  const problems = new ProblemCollector();
  const implicit = options.channels.length === 0;
  const list = implicit ? ["defaults"] : options.channels;
  const resolved: Channel[] = [];
  list.forEach((written, index) => {
    const name = written.trim();
    if (name === NODEFAULTS) return;
    const key = implicit ? "channels" : `channels[${index}]`;
    const result = resolveChannel(name, options);
    if ("message" in result) {
      problems.add({ ...result, key, ...(options.file ? { file: options.file } : {}) });
      return;
    }
    for (const channel of result) {
      if (options.allowList && !options.allowList.allows(channel)) {
        problems.add({
          ...(options.file ? { file: options.file } : {}),
          key,
          message: `channel "${channel.name}" is not allowed in this workspace`,
          found: channel.url,
          allowed: options.allowList.description,
        });
        continue;
      }
      if (!resolved.some((known) => known.url === channel.url)) resolved.push(channel);
    }
  });
  if (problems.ok && resolved.length === 0) {
    problems.add({
      ...(options.file ? { file: options.file } : {}),
      key: "channels",
      message: "no channel is left to solve from",
      found: list.join(", "),
      allowed: "at least one channel besides nodefaults",
    });
  }
  problems.throwIfAny();
  return resolved;
}

function resolveChannel(
  name: string,
  options: Pick<ResolveChannelsOptions, "config" | "baseDir">,
): readonly Channel[] | Problem {
  if (/^https?:\/\//i.test(name)) {
    if (!URL.canParse(name)) return invalid(name);
    return [{ name: stripUrlCredentials(trimSlashes(name)), url: trimSlashes(name) }];
  }
  if (/^file:\/\//i.test(name)) {
    if (!URL.canParse(name)) return invalid(name);
    return [localChannel(name, fileURLToPath(name))];
  }
  if (isAbsolute(name) || name.startsWith("./") || name.startsWith("../") || name === ".") {
    return [localChannel(name, resolve(options.baseDir, name))];
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) {
    return {
      message: `channel "${name}" uses an unsupported scheme`,
      found: name,
      allowed: "a channel name, an http(s):// URL, or a local folder path",
    };
  }
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(name)) return invalid(name);
  const configured = options.config.urls[name];
  if (configured !== undefined) return [{ name, url: trimSlashes(configured) }];
  const defaults = options.config.defaultChannels ?? [];
  if (name === "defaults" && defaults.length > 0) {
    return defaults.map((url) => ({ name, url: trimSlashes(url) }));
  }
  if (options.config.channelAlias !== undefined) {
    return [{ name, url: `${trimSlashes(options.config.channelAlias)}/${name}` }];
  }
  return {
    message: `channel "${name}" has no configured URL`,
    found: name,
    allowed:
      "a name set in ENVFORGE_CHANNEL_URLS (name=url) or any name with ENVFORGE_CHANNEL_ALIAS set, an http(s):// URL, or a local folder path",
  };
}

function localChannel(name: string, folder: string): Channel {
  return { name, url: trimSlashes(pathToFileURL(folder).href), localPath: folder };
}

function invalid(name: string): Problem {
  return {
    message: `channel "${name}" is not a valid channel name, URL or path`,
    found: name,
    allowed: "a channel name such as defaults, an http(s):// URL, or a local folder path",
  };
}

function trimSlashes(url: string): string {
  return url.trim().replace(/\/+$/, "");
}
