/** Workspaces: named stores of environments inside one database. */
import { ConflictError } from "../errors/index.js";
import { isoNow } from "./clock.js";
import type { Workspace } from "./model.js";
import type { ServiceContext } from "./service-context.js";
import { newProblems, requireWorkspace } from "./service-context.js";
import type { WorkspaceRecord } from "./store.js";
import { checkDescription, checkName } from "./validation.js";

export interface CreateWorkspaceInput {
  readonly name: string;
  readonly description?: string;
}

export async function createWorkspace(
  context: ServiceContext,
  input: CreateWorkspaceInput,
): Promise<Workspace> {
  const problems = newProblems();
  checkName(problems, input.name, { key: "name", what: "workspace" });
  checkDescription(problems, input.description);
  problems.throwIfAny();
  const record: WorkspaceRecord = {
    name: input.name,
    description: input.description ?? null,
    createdAt: isoNow(context.clock),
  };
  const inserted = await context.store.write((tx) => tx.insertWorkspace(record));
  if (!inserted) throw new ConflictError(`workspace "${input.name}" already exists`);
  return workspaceView(record);
}

export async function getWorkspace(
  context: ServiceContext,
  input: { readonly name: string },
): Promise<Workspace> {
  const problems = newProblems();
  checkName(problems, input.name, { key: "name", what: "workspace" });
  problems.throwIfAny();
  return workspaceView(await context.store.read((tx) => requireWorkspace(tx, input.name)));
}

/** Sorted by name. */
export async function listWorkspaces(context: ServiceContext): Promise<readonly Workspace[]> {
  return (await context.store.read((tx) => tx.listWorkspaces())).map(workspaceView);
}

function workspaceView(record: WorkspaceRecord): Workspace {
  return {
    name: record.name,
    ...(record.description === null ? {} : { description: record.description }),
    createdAt: record.createdAt,
  };
}
