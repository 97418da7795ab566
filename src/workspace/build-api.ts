/** What the build and job modules (workers, runners, surfaces) import from the workspace. */
export type { Build, BuiltImageRef, ImageLocation, Job, LogChunk } from "./build-model.js";
export { isFinished } from "./build-model.js";
export type { BuildState, LogStream } from "./build-store.js";
export { BUILD_STATES, LOG_STREAMS } from "./build-store.js";
export type { BuildLeases, ClaimedBuild } from "./build-leases.js";
export { createBuildLeases } from "./build-leases.js";
export type {
  BuildEvent,
  BuildService,
  BuildServiceOptions,
  BuildSettings,
  FollowInput,
  RequestBuildInput,
  RequestBuildResult,
} from "./build-service.js";
export { createBuildService, DEFAULT_BUILD_SETTINGS } from "./build-service.js";
export type { CreateJobInput, JobEvent, JobService, TakenJob } from "./job-service.js";
export { createJobService } from "./job-service.js";
