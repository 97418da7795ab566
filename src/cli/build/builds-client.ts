/**
 * The build calls the CLI makes, in-process (the local store) or over HTTP (`--server`), so
 * `env build` and `build …` print the same either way.
 */
import type { Build, BuildEvent, LogChunk, RequestBuildResult } from "../../workspace/build-api.js";
import type { Page } from "../../workspace/index.js";

export interface BuildsClient {
  /** Where the builds live, for messages. */
  readonly location: string;
  /** True when this process must build (SQLite: no other worker exists). */
  readonly buildsHere: boolean;
  requestBuild(input: {
    readonly workspace?: string;
    readonly name: string;
    readonly version?: number;
    readonly label?: string;
    readonly timeoutMs?: number;
  }): Promise<RequestBuildResult>;
  getBuild(input: { readonly workspace?: string; readonly id: string }): Promise<Build>;
  listBuilds(input: {
    readonly workspace?: string;
    readonly name?: string;
    readonly limit?: number;
    readonly cursor?: string;
  }): Promise<Page<Build>>;
  cancelBuild(input: { readonly workspace?: string; readonly id: string }): Promise<Build>;
  readBuildLog(input: {
    readonly workspace?: string;
    readonly id: string;
    readonly afterSeq?: number;
  }): Promise<readonly LogChunk[]>;
  followBuild(input: {
    readonly workspace?: string;
    readonly id: string;
  }): AsyncIterable<BuildEvent>;
  close(): Promise<void>;
}
