/**
 * Azure ML's `Workspace`, envforge style: `Workspace.open()` for the local store (SQLite under
 * ENVFORGE_HOME, or PostgreSQL with ENVFORGE_DATABASE_URL), `Workspace.connect(url, token)` for
 * a server. Both answer with the same plain data (EnvironmentVersion, ...), so code written
 * against one runs against the other. `Environment.register(ws)` and friends call these.
 */
import { openLocalClient, openServerClient } from "../client/open-client.js";
import type { RegisterFilesResult, WorkspaceClient } from "../client/workspace-client.js";
import type { ImageDetails } from "../workspace/image-details.js";
import type { FileDefinitionKind } from "../host/definition-files.js";
import { surfaceSettings } from "../host/config.js";
import { collectDefinitionFiles } from "../host/collect-definition-files.js";
import type { Problem } from "../errors/index.js";
import { formatProblem } from "../errors/index.js";
import type {
  EnvironmentSummary,
  EnvironmentVersion,
  Page,
  RegisterEnvironmentInput,
} from "../workspace/index.js";
import { DEFAULT_WORKSPACE } from "../workspace/index.js";
import type { RegistrationLock } from "../workspace/lock-resolver.js";
import type { EnvironmentRef } from "../client/environment-ref.js";
import { parseEnvironmentRef } from "../client/environment-ref.js";
import type { Build, Job } from "../workspace/build-api.js";
import type { BuildOptions, RunOptions, WorkspaceEndpoint } from "./workspace-endpoint.js";
import { buildOn, runOn } from "./workspace-endpoint.js";

/**
 * Which version, as the CLI names it (`"pytorch"`, `"pytorch@3"`, `"pytorch:prod"`) or as
 * parts (`{ name: "pytorch", label: "prod" }`).
 */
export type EnvironmentReference = string | EnvironmentRef;

/** Which version: a number, a label, or (neither) `latest`. */
export interface VersionSelector {
  readonly version?: number;
  readonly label?: string;
}

/**
 * What `registerDefinition` takes: the service's registration input, in this workspace. Over
 * HTTP the lock is refused (a server resolves its own) and the source files are not sent.
 */
export type RegisterDefinitionInput = Omit<RegisterEnvironmentInput, "workspace">;

export interface RegisterFilesOptions {
  readonly name: string;
  /** A definition file or folder on this machine. */
  readonly path: string;
  readonly kind?: FileDefinitionKind;
  readonly dockerfilePath?: string;
  readonly version?: number;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** Refuse (ValidationError, nothing written) rather than register without a lock. */
  readonly requireLock?: boolean;
}

/**
 * What the SDK does with a registration's warnings (a version left without its lock, content
 * accepted but ignored). Default: Node's process warnings (`process.emitWarning`, code
 * ENVFORGE_REGISTER), which print on stderr unless the program listens for them.
 */
export type WarningSink = (warning: Problem) => void;

export interface WorkspaceOpenOptions {
  /** The workspace inside the store (default `default`). */
  readonly name?: string;
  /** Where configuration comes from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  readonly onWarning?: WarningSink;
}

const emitWarning: WarningSink = (warning) =>
  process.emitWarning(formatProblem(warning), { code: "ENVFORGE_REGISTER" });

export class Workspace {
  readonly #client: WorkspaceClient;
  /** The workspace's name inside its store. */
  readonly name: string;
  readonly #onWarning: WarningSink;
  /** What registration warned about last (accepted but ignored content, lock problems). */
  lastWarnings: readonly Problem[] = [];
  /** The lock of the version registered last: locked, or unlocked with the reason per part. */
  lastLock: RegistrationLock | undefined = undefined;

  readonly #endpoint: WorkspaceEndpoint;

  private constructor(
    client: WorkspaceClient,
    name: string,
    onWarning: WarningSink,
    endpoint: WorkspaceEndpoint,
  ) {
    this.#client = client;
    this.name = name;
    this.#onWarning = onWarning;
    this.#endpoint = endpoint;
  }

  /** The local workspace store, as the CLI uses it without --server. */
  static async open(options: WorkspaceOpenOptions = {}): Promise<Workspace> {
    // As the CLI without --server: a conda definition is locked at registration when its
    // channels answer.
    const settings = surfaceSettings(options.env ?? process.env);
    const client = await openLocalClient(settings);
    return Workspace.#checked(client, options.name ?? DEFAULT_WORKSPACE, options.onWarning, {
      kind: "local",
      settings,
    });
  }

  /** A workspace on an envforge server (`envforge serve`). */
  static async connect(
    url: string,
    token?: string,
    options: {
      readonly name?: string;
      readonly fetch?: typeof fetch;
      readonly onWarning?: WarningSink;
    } = {},
  ): Promise<Workspace> {
    const client = openServerClient({
      url,
      ...(token === undefined ? {} : { token }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
    return Workspace.#checked(client, options.name ?? DEFAULT_WORKSPACE, options.onWarning, {
      kind: "server",
      url,
      ...(token === undefined ? {} : { token }),
    });
  }

  /** For callers that already hold a client (the CLI, tests). */
  static fromClient(
    client: WorkspaceClient,
    name: string = DEFAULT_WORKSPACE,
    onWarning: WarningSink = emitWarning,
  ): Workspace {
    return new Workspace(client, name, onWarning, { kind: "none" });
  }

  static async #checked(
    client: WorkspaceClient,
    name: string,
    onWarning: WarningSink = emitWarning,
    endpoint: WorkspaceEndpoint,
  ): Promise<Workspace> {
    try {
      await client.getWorkspace({ name });
    } catch (error) {
      await client.close();
      throw error;
    }
    return new Workspace(client, name, onWarning, endpoint);
  }

  /** `sqlite <file>`, `postgres <host/db>` or the server URL. */
  get location(): string {
    return this.#client.location;
  }

  /** Registers a definition: a new version, or the latest one when it is unchanged. */
  async registerDefinition(input: RegisterDefinitionInput): Promise<EnvironmentVersion> {
    const result = await this.#client.registerDefinition({ workspace: this.name, ...input });
    return this.#registered(result);
  }

  /** Registers a definition from its files, as `envforge env create --file` does. */
  async registerFiles(options: RegisterFilesOptions): Promise<EnvironmentVersion> {
    const { files, displayRoot } = await collectDefinitionFiles(options.path, {
      ...(options.kind === undefined ? {} : { kind: options.kind }),
      ...(options.dockerfilePath === undefined ? {} : { dockerfilePath: options.dockerfilePath }),
    });
    const result = await this.#client.registerFiles({
      workspace: this.name,
      name: options.name,
      files,
      displayRoot,
      ...(options.version === undefined ? {} : { version: options.version }),
      ...(options.description === undefined ? {} : { description: options.description }),
      ...(options.tags === undefined ? {} : { tags: options.tags }),
      ...(options.requireLock === undefined ? {} : { requireLock: options.requireLock }),
    });
    return this.#registered(result);
  }

  /** Keeps what a registration said and tells its warnings: nothing is left unlocked silently. */
  #registered(result: RegisterFilesResult): EnvironmentVersion {
    this.lastWarnings = result.warnings;
    this.lastLock = result.lock;
    for (const warning of result.warnings) this.#onWarning(warning);
    return result.version;
  }

  getVersion(name: string, selector: VersionSelector = {}): Promise<EnvironmentVersion> {
    return this.#client.getEnvironmentVersion({ workspace: this.name, name, ...selector });
  }

  getImageDetails(name: string, selector: VersionSelector = {}): Promise<ImageDetails> {
    return this.#client.getImageDetails({ workspace: this.name, name, ...selector });
  }

  /** Every environment (all pages), by name. */
  listEnvironments(
    options: { readonly includeArchived?: boolean } = {},
  ): Promise<EnvironmentSummary[]> {
    return allPages((cursor) =>
      this.#client.listEnvironments({ workspace: this.name, ...options, ...cursor }),
    );
  }

  /** Every version of one environment (all pages), newest first. */
  listVersions(
    name: string,
    options: { readonly includeArchived?: boolean } = {},
  ): Promise<EnvironmentVersion[]> {
    return allPages((cursor) =>
      this.#client.listVersions({ workspace: this.name, name, ...options, ...cursor }),
    );
  }

  /** The curated environments that ship with envforge. */
  async listCurated(): Promise<EnvironmentVersion[]> {
    return [...(await this.#client.listCurated({ workspace: this.name }))];
  }

  /**
   * Builds a version's image (or joins the build under way, or finds it built) and waits for the
   * end: `envforge env build`. A failed build is returned with its reason, not thrown.
   */
  build(reference: EnvironmentReference, options: BuildOptions = {}): Promise<Build> {
    return buildOn(this.#endpoint, this.name, refOf(reference), options);
  }

  /**
   * Runs a command in a version's image, built first if needed, and returns the finished job
   * with its exit code: `envforge run`. Locally on this machine's Docker engine; on a server
   * on the server's.
   */
  run(
    reference: EnvironmentReference,
    command: readonly string[],
    options: RunOptions = {},
  ): Promise<Job> {
    return runOn(this.#endpoint, this.name, refOf(reference), command, options);
  }

  /** Points `label` at a version (`"pytorch@2"`, or `"pytorch:prod"` for where prod points). */
  async setLabel(reference: EnvironmentReference, label: string): Promise<EnvironmentVersion> {
    const ref = refOf(reference);
    const version = ref.version ?? (await this.getVersion(ref.name, selectorOf(ref))).version;
    return this.#client.setLabel({ workspace: this.name, name: ref.name, label, version });
  }

  removeLabel(name: string, label: string): Promise<void> {
    return this.#client.removeLabel({ workspace: this.name, name, label });
  }

  /** Archives an environment (`"pytorch"`) or one version (`"pytorch@1"`, `"pytorch:old"`). */
  archive(reference: EnvironmentReference): Promise<void> {
    return this.#archiveOrRestore("archive", reference);
  }

  restore(reference: EnvironmentReference): Promise<void> {
    return this.#archiveOrRestore("restore", reference);
  }

  async #archiveOrRestore(
    action: "archive" | "restore",
    reference: EnvironmentReference,
  ): Promise<void> {
    const ref = refOf(reference);
    const version =
      ref.version ??
      (ref.label === undefined
        ? undefined
        : (await this.getVersion(ref.name, { label: ref.label })).version);
    await this.#client[action]({
      workspace: this.name,
      name: ref.name,
      ...(version === undefined ? {} : { version }),
    });
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}

function refOf(reference: EnvironmentReference): EnvironmentRef {
  return typeof reference === "string" ? parseEnvironmentRef(reference) : reference;
}

function selectorOf(ref: EnvironmentRef): VersionSelector {
  return {
    ...(ref.version === undefined ? {} : { version: ref.version }),
    ...(ref.label === undefined ? {} : { label: ref.label }),
  };
}

async function allPages<T>(page: (cursor: { cursor?: string }) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await page(cursor === undefined ? {} : { cursor });
    items.push(...next.items);
    cursor = next.nextCursor;
  } while (cursor !== undefined);
  return items;
}
