/**
 * The local lock resolver wired from a surface's configuration: channel settings, the home
 * folder's repodata cache, pip's index, and a registry client with the user's credentials for
 * base image digests. workspace/'s resolver takes these as values and reads no environment.
 */
import type { SurfaceSettings } from "../host/config.js";
import { openRegistry } from "../image/index.js";
import type { ChannelLockResolver } from "../workspace/channel-lock-resolver.js";
import { channelLockResolver } from "../workspace/channel-lock-resolver.js";

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
    ...(options.keepRepodata === undefined ? {} : { keepRepodata: options.keepRepodata }),
  });
}
