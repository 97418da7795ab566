/**
 * The composition root for the store: PostgreSQL when ENVFORGE_DATABASE_URL is set (a team's
 * `envforge serve`), otherwise SQLite at `$ENVFORGE_HOME/envforge.db` (one machine, no server).
 */
import { join } from "node:path";
import { ValidationError } from "../errors/index.js";
import { readConfig } from "../host/config.js";
import type { Clock } from "./clock.js";
import { systemClock } from "./clock.js";
import { openPostgresStore, openSqliteStore } from "./open-store-driver.js";
import type { WorkspaceStore } from "./store.js";

export const DATABASE_URL_VARIABLE = "ENVFORGE_DATABASE_URL";
export const SQLITE_FILE_NAME = "envforge.db";

export interface OpenWorkspaceStoreOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
}

export async function openWorkspaceStore(
  options: OpenWorkspaceStoreOptions = {},
): Promise<WorkspaceStore> {
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  const url = env[DATABASE_URL_VARIABLE]?.trim();
  if (url !== undefined && url !== "") {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1];
    if (scheme !== "postgres" && scheme !== "postgresql") {
      // Only the scheme is echoed: the rest of the URL may hold a password.
      throw ValidationError.single({
        key: DATABASE_URL_VARIABLE,
        message: "the database URL is not a PostgreSQL URL",
        found: scheme === undefined ? "no URL scheme" : `scheme "${scheme}"`,
        allowed: "postgres://user:password@host:port/database",
      });
    }
    return openPostgresStore({ url, clock });
  }
  return openSqliteStore({ path: join(readConfig(env).home, SQLITE_FILE_NAME), clock });
}
