import { homedir } from "node:os";
import { join } from "node:path";
import { DEFAULT_PARSE_SETTINGS } from "../spec/definition.js";
import type { ParseSettings } from "../spec/definition.js";

/**
 * Configuration read from the environment (flags override it at the surfaces). Only the values
 * the current commands need; each comes with its variable so `config show` can explain it.
 */
export interface EnvforgeConfig {
  /** `$ENVFORGE_HOME`, default `~/.local/share/envforge`: the SQLite workspace and caches. */
  readonly home: string;
  readonly parse: ParseSettings;
  /** `$ENVFORGE_REGISTRY`: where builds push, e.g. `127.0.0.1:5000/envforge`. */
  readonly registry?: string;
  /** `$ENVFORGE_BUILDER` (default `docker`). */
  readonly builder: string;
  /** `$DOCKER_HOST`; absent: the local socket. */
  readonly dockerHost?: string;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): EnvforgeConfig {
  const home =
    nonEmpty(env.ENVFORGE_HOME) ??
    join(nonEmpty(env.XDG_DATA_HOME) ?? join(homedir(), ".local", "share"), "envforge");
  const registry = nonEmpty(env.ENVFORGE_REGISTRY);
  const dockerHost = nonEmpty(env.DOCKER_HOST);
  return {
    home,
    ...(registry === undefined ? {} : { registry }),
    builder: nonEmpty(env.ENVFORGE_BUILDER) ?? "docker",
    ...(dockerHost === undefined ? {} : { dockerHost }),
    parse: {
      defaultBaseImage:
        nonEmpty(env.ENVFORGE_BASE_IMAGE) ?? DEFAULT_PARSE_SETTINGS.defaultBaseImage,
      defaultPythonVersion:
        nonEmpty(env.ENVFORGE_PYTHON_VERSION) ?? DEFAULT_PARSE_SETTINGS.defaultPythonVersion,
      defaultPlatform: nonEmpty(env.ENVFORGE_PLATFORM) ?? DEFAULT_PARSE_SETTINGS.defaultPlatform,
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
