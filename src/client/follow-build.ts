/**
 * Request a build and wait for its end, the same way for every surface: on SQLite this process
 * is the worker (runHere), elsewhere a worker or the server builds and the events are followed.
 */
import type { Build, BuildEvent, RequestBuildResult } from "../workspace/build-api.js";
import type { BuildsClient } from "./builds-client.js";
import type { LocalBuildsClient } from "./local-builds-client.js";

export interface FollowBuildOptions {
  readonly workspace?: string;
  readonly name: string;
  readonly version?: number;
  readonly label?: string;
  readonly timeoutMs?: number;
  /** Called with the request's answer, before anything is followed. */
  readonly onRequested?: (result: RequestBuildResult) => void;
  readonly onEvent?: (event: BuildEvent) => void;
}

/** The build's last state (succeeded, failed or canceled). */
export async function requestAndFollowBuild(
  client: BuildsClient & Partial<LocalBuildsClient>,
  options: FollowBuildOptions,
): Promise<Build> {
  const { onRequested, onEvent, ...request } = options;
  const requested = await client.requestBuild(request);
  onRequested?.(requested);
  const key = {
    id: requested.build.id,
    ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
  };
  const working = client.buildsHere === true ? client.runHere?.(key.id) : undefined;
  const follow = async (): Promise<Build | undefined> => {
    let last: Build | undefined;
    for await (const event of client.followBuild(key)) {
      onEvent?.(event);
      if (event.kind === "state") last = event.build;
    }
    return last;
  };
  const [last] = await Promise.all([follow(), working]);
  return last ?? (await client.getBuild(key));
}
