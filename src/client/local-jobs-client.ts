/** JobsClient on the local store: the job service in this process. */
import { createJobService } from "../workspace/build-api.js";
import type { WorkspaceStore } from "../workspace/index.js";
import type { JobsClient } from "./jobs-client.js";

export function localJobsClient(store: WorkspaceStore, location: string): JobsClient {
  const jobs = createJobService({ store });
  return {
    location,
    // Jobs whose holder died (an `envforge run` killed mid-job) are failed before they are shown.
    getJob: async (input) => {
      await jobs.expireJobLeases();
      return jobs.getJob(input);
    },
    listJobs: async (input) => {
      await jobs.expireJobLeases();
      return jobs.listJobs(input);
    },
    readJobLog: (input) => jobs.readJobLog(input),
    followJob: (input) => jobs.followJob(input),
    close: () => store.close(),
  };
}
