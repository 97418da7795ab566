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

  private constructor(client: WorkspaceClient, name: string, onWarning: WarningSink) {
    this.#client = client;
    this.name = name;
    this.#onWarning = onWarning;
  }

  /** The local workspace store, as the CLI uses it without --server. */
  static async open(options: WorkspaceOpenOptions = {}): Promise<Workspace> {
    // As the CLI without --server: a conda definition is locked at registration when its
    // channels answer.
    const client = await openLocalClient(surfaceSettings(options.env ?? process.env));
    return Workspace.#checked(client, options.name ?? DEFAULT_WORKSPACE, options.onWarning);
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
    return Workspace.#checked(client, options.name ?? DEFAULT_WORKSPACE, options.onWarning);
  }

  /** For callers that already hold a client (the CLI, tests). */
  static fromClient(
    client: WorkspaceClient,
    name: string = DEFAULT_WORKSPACE,
    onWarning: WarningSink = emitWarning,
  ): Workspace {
    return new Workspace(client, name, onWarning);
  }

  static async #checked(
    client: WorkspaceClient,
    name: string,
    onWarning: WarningSink = emitWarning,
  ): Promise<Workspace> {
    try {
      await client.getWorkspace({ name });
    } catch (error) {
      await client.close();
      throw error;
    }
    return new Workspace(client, name, onWarning);
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

  close(): Promise<void> {
    return this.#client.close();
  }
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
