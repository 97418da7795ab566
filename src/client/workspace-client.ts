/**
 * One interface over a workspace, whether it is in this process (the service on the local
 * store) or behind `envforge serve` (the HTTP client). The CLI and the SDK talk only to this,
 * so a command prints the same thing with and without `--server`.
 */
import type { Problem } from "../errors/index.js";
import type {
  EnvironmentService,
  GetEnvironmentVersionInput,
  RegisterEnvironmentInput,
  RegisterResult,
} from "../workspace/index.js";
import type { LockContent } from "../definition/lock.js";
import type { ImageDetails } from "../workspace/image-details.js";
import type { DefinitionFiles } from "../host/definition-files.js";

export interface RegisterFilesInput {
  readonly workspace?: string;
  readonly name: string;
  /** The definition as files (from the disk or made in memory). */
  readonly files: DefinitionFiles;
  /** Where the files are, as the user names them: used in messages only. */
  readonly displayRoot?: string;
  readonly version?: number;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** A lock made by `envforge lock` for this definition; without it the workspace resolves one. */
  readonly lock?: LockContent;
  /** Refuse rather than register without a lock (`--require-lock`). */
  readonly requireLock?: boolean;
}

export interface RegisterFilesResult extends RegisterResult {
  /** Content that was accepted but ignored (Azure's inference_config, ...), and lock problems. */
  readonly warnings: readonly Problem[];
}

export type ServiceCalls = Pick<
  EnvironmentService,
  | "createWorkspace"
  | "getWorkspace"
  | "listWorkspaces"
  | "getEnvironmentVersion"
  | "listEnvironments"
  | "listVersions"
  | "listCurated"
  | "updateVersion"
  | "setLabel"
  | "removeLabel"
  | "archive"
  | "restore"
  | "createToken"
  | "listTokens"
  | "revokeToken"
>;

export interface WorkspaceClient extends ServiceCalls {
  /** `sqlite <file>`, `postgres <host/db>` or the server's URL: where the workspace lives. */
  readonly location: string;
  registerFiles(input: RegisterFilesInput): Promise<RegisterFilesResult>;
  /**
   * A Definition made in memory (SDK). In-process it is stored as given; over HTTP it is sent
   * as the files it would be written to (envforge.yaml, ...), and a lock cannot be sent yet.
   */
  registerDefinition(input: RegisterEnvironmentInput): Promise<RegisterFilesResult>;
  getImageDetails(input: GetEnvironmentVersionInput): Promise<ImageDetails>;
  close(): Promise<void>;
}
