/**
 * Install progress: the events the installer emits, a pure formatter for one status line, and a
 * reporter that redraws that line on a terminal (and stays silent elsewhere, so logs and pipes
 * get only the final summary).
 */
import type { CacheEvent } from "./package-cache.js";

export type InstallEvent =
  | CacheEvent
  | { readonly type: "linked"; readonly name: string }
  | { readonly type: "stage"; readonly stage: "fetch" | "link" | "done" };

export interface ProgressState {
  readonly total: number;
  readonly ready: number;
  readonly downloaded: number;
  readonly linked: number;
  readonly bytes: number;
  readonly stage: "fetch" | "link" | "done";
}

export function initialProgress(total: number): ProgressState {
  return { total, ready: 0, downloaded: 0, linked: 0, bytes: 0, stage: "fetch" };
}

/** Folds one event into the state; `received` is per package, so bytes are tracked per name. */
export function nextProgress(
  state: ProgressState,
  event: InstallEvent,
  received: Map<string, number>,
): ProgressState {
  switch (event.type) {
    case "download": {
      const before = received.get(event.name) ?? 0;
      received.set(event.name, event.received);
      return { ...state, bytes: state.bytes + event.received - before };
    }
    case "ready":
      return {
        ...state,
        ready: state.ready + 1,
        downloaded: state.downloaded + (event.fetched ? 1 : 0),
      };
    case "linked":
      return { ...state, linked: state.linked + 1 };
    case "stage":
      return { ...state, stage: event.stage };
  }
}

/** `fetching 12/26 packages (5 downloaded, 4.2 MB)` / `linking 3/26 packages` */
export function formatProgress(state: ProgressState): string {
  if (state.stage === "fetch") {
    return `fetching ${state.ready}/${state.total} packages (${state.downloaded} downloaded, ${formatBytes(state.bytes)})`;
  }
  if (state.stage === "link") return `linking ${state.linked}/${state.total} packages`;
  return `installed ${state.total} packages`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export interface ProgressReporterOptions {
  readonly stream: NodeJS.WritableStream;
  /** Draw only on a terminal. */
  readonly isTTY: boolean;
  readonly total: number;
  /** Milliseconds between redraws for byte counts; default 100. */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

export interface ProgressReporter {
  readonly onEvent: (event: InstallEvent) => void;
  /** Clears the line. */
  readonly finish: () => void;
}

export function progressReporter(options: ProgressReporterOptions): ProgressReporter {
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 100;
  const received = new Map<string, number>();
  let state = initialProgress(options.total);
  let drawnAt = Number.NEGATIVE_INFINITY;
  const draw = (): void => {
    drawnAt = now();
    options.stream.write(`\r${formatProgress(state)}\u001b[K`);
  };
  return {
    onEvent: (event) => {
      state = nextProgress(state, event, received);
      if (!options.isTTY) return;
      if (event.type !== "download" || now() - drawnAt >= interval) draw();
    },
    finish: () => {
      if (options.isTTY) options.stream.write("\r\u001b[K");
    },
  };
}
