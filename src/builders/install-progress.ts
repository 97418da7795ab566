/**
 * The conda installer's events as build progress, with totals from the lock: bytes to download
 * (every package's size; a package already in the cache counts as downloaded when it is ready),
 * packages extracted into the cache, and packages linked into the prefix.
 */
import type { InstallResult } from "../conda/install.js";
import type { InstallEvent } from "../conda/progress.js";
import type { LockedCondaPackage } from "../definition/lock.js";
import type { BuildProgress } from "./image-builder.js";

export function installProgress(
  packages: readonly LockedCondaPackage[],
  onProgress: (progress: BuildProgress) => void,
): (event: InstallEvent) => void {
  const sizes = new Map(packages.map((p) => [p.name, p.size ?? 0]));
  const totalBytes = [...sizes.values()].reduce((sum, size) => sum + size, 0);
  const total = packages.length;
  const received = new Map<string, number>();
  let downloaded = 0;
  let ready = 0;
  let linked = 0;
  return (event) => {
    switch (event.type) {
      case "download": {
        downloaded += event.received - (received.get(event.name) ?? 0);
        received.set(event.name, event.received);
        onProgress({ stage: "download", done: downloaded, total: totalBytes, unit: "bytes" });
        return;
      }
      case "ready": {
        const size = sizes.get(event.name) ?? event.bytes;
        downloaded += size - (received.get(event.name) ?? 0);
        received.set(event.name, size);
        ready += 1;
        onProgress({ stage: "download", done: downloaded, total: totalBytes, unit: "bytes" });
        onProgress({ stage: "extract", done: ready, total, unit: "packages" });
        return;
      }
      case "linked":
        linked += 1;
        onProgress({ stage: "link", done: linked, total, unit: "packages" });
        return;
      case "stage":
        return;
    }
  };
}

/**
 * The log's line for the installer's fetch stage (download and extraction into the package
 * cache), with its timing: off a terminal, each stage is one line of the build's log.
 */
export function fetchStageLine(install: InstallResult): string {
  const fetched = install.packages.filter((p) => p.fetched).length;
  return `conda: fetched ${install.packages.length} packages (${fetched} downloaded, ${install.packages.length - fetched} from the cache) in ${seconds(install.timings.fetchMs)} s`;
}

export function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
