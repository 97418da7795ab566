/**
 * The store the settings name: PostgreSQL when a database URL is set (ENVFORGE_DATABASE_URL, a
 * team's `envforge serve`), otherwise SQLite at `<home>/envforge.db` (one machine, no server).
 * The surface's composition root reads the settings; nothing here reads the environment.
 */
import { join } from "node:path";
import { ValidationError } from "../errors/index.js";
import type { Clock } from "./clock.js";
import { systemClock } from "./clock.js";
import { openPostgresStore, openSqliteStore } from "./open-store-driver.js";
import type { WorkspaceStore } from "./store.js";

export const DATABASE_URL_VARIABLE = "ENVFORGE_DATABASE_URL";
export const SQLITE_FILE_NAME = "envforge.db";

/** What choosing the store needs (host/config.ts's EnvforgeConfig has both). */
export interface StoreSettings {
  /** `$ENVFORGE_DATABASE_URL`; absent: SQLite. */
  readonly databaseUrl?: string;
  /** `$ENVFORGE_HOME`: the SQLite workspace's folder. */
  readonly home: string;
}

export interface OpenWorkspaceStoreOptions {
  readonly settings: StoreSettings;
  readonly clock?: Clock;
}

export async function openWorkspaceStore(
  options: OpenWorkspaceStoreOptions,
): Promise<WorkspaceStore> {
  const clock = options.clock ?? systemClock;
  const url = options.settings.databaseUrl?.trim();
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
  return openSqliteStore({ path: join(options.settings.home, SQLITE_FILE_NAME), clock });
}
