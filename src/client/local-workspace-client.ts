/**
 * The in-process WorkspaceClient: the service on a local store, uploads read as a server would.
 * Answers go through the API's response schemas, as the HTTP client's do, so both give the same
 * fields in the same order and a command prints the same bytes either way.
 */
import * as z from "zod";
import type { ParseSettings } from "../definition/definition.js";
import type { EnvironmentService, WorkspaceStore } from "../workspace/index.js";
import type { ResolveLock } from "../workspace/lock-resolver.js";
import { createEnvironmentService } from "../workspace/index.js";
import type { FindBuiltImage, FindSbom } from "../workspace/image-details.js";
import { readContextContent } from "../host/read-context-content.js";
import { errorUnder, problemUnder } from "./display-root.js";
import {
  createdTokenResponse,
  imageDetailsResponse,
  registerResponse,
  summaryPageResponse,
  tokenResponse,
  versionPageResponse,
  versionResponse,
  workspaceResponse,
} from "./response-schemas.js";
import type { WorkspaceClient } from "./workspace-client.js";

export interface LocalClientOptions {
  readonly store: WorkspaceStore;
  readonly settings: ParseSettings;
  /** Default: a service on `store` with the shipped curated catalog. */
  readonly service?: EnvironmentService;
  readonly registry?: string;
  /** Image details say whether a pushed image has an SBOM attached (asked of the registry). */
  readonly findSbom?: FindSbom;
  /**
   * The image a succeeded build made (image details say where it is kept). From the local build
   * service (local-build-service.ts), so this client makes no build service of its own.
   */
  readonly findBuiltImage?: FindBuiltImage;
  /**
   * Resolves conda locks at registration (channel-lock-resolver.ts), for the default service;
   * its `close` runs when the client closes, so the solver's thread ends with the command.
   */
  readonly lockResolver?: { readonly resolveLock: ResolveLock; close(): Promise<void> };
}

const workspaces = z.array(workspaceResponse);
const versions = z.array(versionResponse);
const tokens = z.array(tokenResponse);

export function localWorkspaceClient(options: LocalClientOptions): WorkspaceClient {
  const { store, settings } = options;
  const { lockResolver } = options;
  const service =
    options.service ??
    createEnvironmentService({
      store,
      ...(lockResolver === undefined ? {} : { resolveLock: lockResolver.resolveLock }),
    });
  return {
    location: `${store.kind} ${store.location}`,
    createWorkspace: async (input) => workspaceResponse.parse(await service.createWorkspace(input)),
    getWorkspace: async (input) => workspaceResponse.parse(await service.getWorkspace(input)),
    listWorkspaces: async () => workspaces.parse(await service.listWorkspaces()),
    getEnvironmentVersion: async (input) =>
      versionResponse.parse(await service.getEnvironmentVersion(input)),
    listEnvironments: async (input) =>
      summaryPageResponse.parse(await service.listEnvironments(input)),
    listVersions: async (input) => versionPageResponse.parse(await service.listVersions(input)),
    listCurated: async (input) => versions.parse(await service.listCurated(input)),
    updateVersion: async (input) => versionResponse.parse(await service.updateVersion(input)),
    setLabel: async (input) => versionResponse.parse(await service.setLabel(input)),
    removeLabel: (input) => service.removeLabel(input),
    archive: (input) => service.archive(input),
    restore: (input) => service.restore(input),
    createToken: async (input) => createdTokenResponse.parse(await service.createToken(input)),
    listTokens: async (input) => tokens.parse(await service.listTokens(input)),
    revokeToken: async (input) => tokenResponse.parse(await service.revokeToken(input)),
    registerFiles: async (input) => {
      // Parsers and recipes load with the first registration or image details, not for a list.
      const { loadDefinitionFiles } = await import("../host/load-definition-files.js");
      let loaded;
      try {
        loaded = loadDefinitionFiles(input.files, { settings });
      } catch (error) {
        throw errorUnder(error, input.displayRoot);
      }
      const result = await service.registerEnvironment({
        ...(input.workspace === undefined ? {} : { workspace: input.workspace }),
        name: input.name,
        definition: loaded.definition,
        sourceFiles: loaded.sourceFiles,
        contextContent: loaded.contextContent,
        ...(input.version === undefined ? {} : { version: input.version }),
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(input.tags === undefined ? {} : { tags: input.tags }),
        ...(input.lock === undefined ? {} : { lock: input.lock }),
        ...(input.requireLock === undefined ? {} : { requireLock: input.requireLock }),
      });
      return registerResponse.parse({
        ...result,
        warnings: [
          ...loaded.warnings.map((warning) => problemUnder(warning, input.displayRoot)),
          ...(result.warnings ?? []),
        ],
      });
    },
    registerDefinition: async (input) => {
      // A build context made in memory (SDK) is stored from its folder, as an upload would be.
      const result = await service.registerEnvironment(
        input.contextContent === undefined
          ? { ...input, contextContent: await readContextContent(input.definition) }
          : input,
      );
      return registerResponse.parse({ ...result, warnings: result.warnings ?? [] });
    },
    getImageDetails: async (input) =>
      imageDetailsResponse.parse(
        await (
          await import("../workspace/image-details.js")
        ).imageDetailsWithBuild(await service.getEnvironmentVersion(input), {
          ...(options.registry === undefined ? {} : { registry: options.registry }),
          ...(options.findBuiltImage === undefined
            ? {}
            : { findBuiltImage: options.findBuiltImage }),
          ...(options.findSbom === undefined ? {} : { findSbom: options.findSbom }),
        }),
      ),
    close: async () => {
      try {
        await lockResolver?.close();
      } finally {
        await store.close();
      }
    },
  };
}
