/**
 * The build calls the CLI makes, in-process (the local store) or over HTTP (`--server`), so
 * `env build` and `build …` print the same either way.
 */
import type {
  BuildService,
  RequestBuildInput,
  RequestBuildResult,
} from "../workspace/build-api.js";

/** The build service's calls, less what the server decides itself (the registry). */
export interface BuildsClient extends Pick<
  BuildService,
  "getBuild" | "listBuilds" | "cancelBuild" | "readBuildLog" | "followBuild"
> {
  /** Where the builds live, for messages. */
  readonly location: string;
  /** True when this process must build (SQLite: no other worker exists). */
  readonly buildsHere: boolean;
  requestBuild(input: Omit<RequestBuildInput, "registry">): Promise<RequestBuildResult>;
  close(): Promise<void>;
}
