/** What every service function gets: the store, the injected clock, ids, curated catalog and lock resolver. */
import { NotFoundError, ProblemCollector } from "../errors/index.js";
import type { Clock, NewId } from "./clock.js";
import type { CuratedCatalog } from "./curated-catalog.js";
import type { ResolveLock } from "./lock-resolver.js";
import { DEFAULT_WORKSPACE } from "./model.js";
import type { StoreTx, WorkspaceRecord, WorkspaceStore } from "./store.js";
import { checkName } from "./validation.js";

export interface ServiceContext {
  readonly store: WorkspaceStore;
  readonly clock: Clock;
  readonly newId: NewId;
  readonly curated: CuratedCatalog;
  /** Resolves a conda definition's lock at registration; without it, versions are stored as given. */
  readonly resolveLock?: ResolveLock;
}

export async function requireWorkspace(tx: StoreTx, name: string): Promise<WorkspaceRecord> {
  const workspace = await tx.getWorkspace(name);
  if (workspace === undefined) throw new NotFoundError(`workspace "${name}" not found`);
  return workspace;
}

/** The workspace a call names, or the default one; checked before any transaction starts. */
export function workspaceOf(problems: ProblemCollector, workspace: unknown): string {
  if (workspace === undefined) return DEFAULT_WORKSPACE;
  checkName(problems, workspace, { key: "workspace", what: "workspace" });
  return typeof workspace === "string" ? workspace : DEFAULT_WORKSPACE;
}

export function newProblems(): ProblemCollector {
  return new ProblemCollector();
}
