/**
 * The store a test's child process opens (job worker, job holder): SQLite at a path or
 * PostgreSQL at a URL, as the parent test names it in the child's JSON argument.
 */
import * as z from "zod";
import { openPostgresStore } from "../../src/workspace/postgres-store.js";
import { openSqliteStore } from "../../src/workspace/sqlite-store.js";
import type { WorkspaceStore } from "../../src/workspace/store.js";

export const StoreAt = z.object({
  kind: z.enum(["sqlite", "postgres"]),
  location: z.string(),
});

export async function openStoreAt(at: z.infer<typeof StoreAt>): Promise<WorkspaceStore> {
  const clock = () => new Date();
  return at.kind === "sqlite"
    ? openSqliteStore({ path: at.location, clock })
    : openPostgresStore({ url: at.location, clock });
}
