/** The in-process WorkspaceClient: the service on a local store, uploads read as a server would. */
import type { ParseSettings } from "../../spec/definition.js";
import type { EnvironmentService, WorkspaceStore } from "../../workspace/index.js";
import { createEnvironmentService } from "../../workspace/index.js";
import { imageDetailsOf } from "../image-details.js";
import { loadUpload } from "../upload/load-upload.js";
import type { WorkspaceClient } from "./workspace-client.js";

export interface LocalClientOptions {
  readonly store: WorkspaceStore;
  readonly settings: ParseSettings;
  /** Default: a service on `store` with the shipped curated catalog. */
  readonly service?: EnvironmentService;
  readonly registry?: string;
}

export function localWorkspaceClient(options: LocalClientOptions): WorkspaceClient {
  const { store, settings } = options;
  const service = options.service ?? createEnvironmentService({ store });
  return {
    location: `${store.kind} ${store.location}`,
    createWorkspace: (input) => service.createWorkspace(input),
    getWorkspace: (input) => service.getWorkspace(input),
    listWorkspaces: () => service.listWorkspaces(),
    getEnvironmentVersion: (input) => service.getEnvironmentVersion(input),
    listEnvironments: (input) => service.listEnvironments(input),
    listVersions: (input) => service.listVersions(input),
    listCurated: (input) => service.listCurated(input),
    updateVersion: (input) => service.updateVersion(input),
    setLabel: (input) => service.setLabel(input),
    removeLabel: (input) => service.removeLabel(input),
    archive: (input) => service.archive(input),
    restore: (input) => service.restore(input),
    createToken: (input) => service.createToken(input),
    listTokens: (input) => service.listTokens(input),
    revokeToken: (input) => service.revokeToken(input),
    registerFiles: async (input) => {
      const loaded = await loadUpload(input.upload, {
        settings,
        ...(input.displayRoot === undefined ? {} : { displayRoot: input.displayRoot }),
      });
      const result = await service.registerEnvironment({
        ...(input.workspace === undefined ? {} : { workspace: input.workspace }),
        name: input.name,
        definition: loaded.definition,
        sourceFiles: loaded.sourceFiles,
        ...(input.version === undefined ? {} : { version: input.version }),
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(input.tags === undefined ? {} : { tags: input.tags }),
      });
      return { ...result, warnings: loaded.warnings };
    },
    getImageDetails: async (input) =>
      imageDetailsOf(
        await service.getEnvironmentVersion(input),
        options.registry === undefined ? {} : { registry: options.registry },
      ),
    close: () => store.close(),
  };
}
