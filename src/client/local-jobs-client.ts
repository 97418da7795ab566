/** JobsClient on the local store: the job service in this process. */
import { createJobService } from "../workspace/build-api.js";
import type { WorkspaceStore } from "../workspace/index.js";
import type { JobsClient } from "./jobs-client.js";

export function localJobsClient(store: WorkspaceStore, location: string): JobsClient {
  const jobs = createJobService({ store });
  return {
    location,
    getJob: (input) => jobs.getJob(input),
    listJobs: (input) => jobs.listJobs(input),
    readJobLog: (input) => jobs.readJobLog(input),
    followJob: (input) => jobs.followJob(input),
    close: () => store.close(),
  };
}
