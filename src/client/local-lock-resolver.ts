/**
 * The local lock resolver wired from a surface's configuration: channel settings, the home
 * folder's repodata cache, pip's index, and a registry client with the user's credentials for
 * base image digests. workspace/'s resolver takes these as values and reads no environment.
 */
import type { SurfaceSettings } from "../host/config.js";
import { openRegistry } from "../image/index.js";
import type { ChannelLockResolver } from "../workspace/channel-lock-resolver.js";
import { channelLockResolver } from "../workspace/channel-lock-resolver.js";
import { homeCacheDir } from "../host/home-caches.js";

export interface LocalLockResolverOptions {
  /** Per request to a channel, index or registry; default 30 s. */
  readonly timeoutMs?: number;
  /** Keep parsed repodata between registrations (a server). */
  readonly keepRepodata?: boolean;
}

export function localLockResolver(
  settings: SurfaceSettings,
  options: LocalLockResolverOptions = {},
): ChannelLockResolver {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return channelLockResolver({
    settings: settings.config,
    registry: openRegistry({ env: settings.env, timeoutMs }),
    timeoutMs,
    // The engine loads only when a definition has apt packages to pin.
    resolveApt: async ({ image, packages }) => {
      const { engineJobRunner } = await import("../jobs/docker-job-runner.js");
      const { resolveApt } = await import("../jobs/apt-resolve.js");
      const runner = engineJobRunner(settings.config.dockerHost, settings.env);
      return resolveApt({ image, packages, runner });
    },
    // Read once per base digest: the answer is kept under the home's cache.
    probePython: async ({ image, interpreterPath }) => {
      const { engineJobRunner } = await import("../jobs/docker-job-runner.js");
      const { probePython } = await import("../jobs/python-probe.js");
      const runner = engineJobRunner(settings.config.dockerHost, settings.env);
      return probePython({
        image,
        interpreterPath,
        runner,
        cacheDir: homeCacheDir(settings.config.home, "interpreters"),
      });
    },
    ...(options.keepRepodata === undefined ? {} : { keepRepodata: options.keepRepodata }),
  });
}
