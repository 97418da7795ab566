/**
 * How a build's long stages (download, extraction, linking, push) look where a person reads
 * them. On a TTY: one bar per stage with its total, percent and ETA, drawn by cli-progress, log
 * lines printed above the bars, colour unless NO_COLOR. Off a TTY it draws nothing: the build's
 * log has one line per stage with its timing (`conda: fetched …`, `conda: linked …`, `pushed …`),
 * in order with the other events, where a CI log and `build logs` both see it.
 */
import type { MultiBar, SingleBar } from "cli-progress";
import type { BuildProgress } from "../../builders/image-builder.js";
import { isTerminal, terminalStyle } from "./terminal-style.js";
import type { TerminalStyle } from "./terminal-style.js";

export interface ProgressDisplay {
  /** Whether bars are drawn (a TTY): log lines must then go through `line`. */
  readonly drawsBars: boolean;
  readonly onProgress: (progress: BuildProgress) => void;
  /** Prints one finished line (a log line) without breaking the bars. */
  readonly line: (text: string) => void;
  /** Removes the bars. */
  readonly stop: () => void;
  /**
   * Settles once bars can be drawn: the drawing library loads only on a terminal, after the
   * command started (a cache hit or a pipe never pays for it); progress before that is skipped,
   * and the next event draws the stage as it stands.
   */
  readonly ready: Promise<void>;
}

export interface ProgressDisplayOptions {
  readonly stream: NodeJS.WritableStream;
  readonly isTTY: boolean;
  readonly style: TerminalStyle;
}

const STAGE_NAMES: Readonly<Record<BuildProgress["stage"], string>> = {
  download: "download",
  extract: "extract ",
  link: "link    ",
  push: "push    ",
};

interface StageState {
  latest: BuildProgress;
  ended: boolean;
  bar?: SingleBar;
}

export function progressDisplay(options: ProgressDisplayOptions): ProgressDisplay {
  const { style } = options;
  const stages = new Map<BuildProgress["stage"], StageState>();
  let bars: MultiBar | undefined;
  let library: { readonly MultiBar: typeof MultiBar } | undefined;
  const ready = options.isTTY
    ? import("cli-progress").then((loaded) => {
        library = loaded;
      })
    : Promise.resolve();

  const multiBar = (Bars: typeof MultiBar): MultiBar =>
    (bars ??= new Bars({
      stream: options.stream,
      format: (
        _options,
        params,
        payload: { readonly stage?: string; readonly amount?: string },
      ) => {
        const width = 24;
        const filled = Math.round(params.progress * width);
        const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
        const percent = `${Math.floor(params.progress * 100)}%`.padStart(4);
        const eta =
          params.value >= params.total ? "done" : `ETA ${formatSeconds(params.eta)}`.trimEnd();
        return `${style.paint("cyan", payload.stage ?? "")} ${style.paint("green", bar)} ${percent} ${payload.amount ?? ""} ${style.paint("dim", eta)}`;
      },
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      // Redraw at most every 100 ms: a fast download must not flood the terminal.
      fps: 10,
      etaBuffer: 20,
    }));

  return {
    drawsBars: options.isTTY,
    ready,
    onProgress(progress) {
      if (library === undefined) return;
      let state = stages.get(progress.stage);
      if (state === undefined) {
        state = { latest: progress, ended: false };
        stages.set(progress.stage, state);
      }
      state.latest = progress;
      if (state.ended) return;
      const payload = { stage: STAGE_NAMES[progress.stage], amount: amount(progress) };
      state.bar ??= multiBar(library.MultiBar).create(Math.max(progress.total, 1), 0, payload);
      state.bar.setTotal(Math.max(progress.total, 1));
      state.bar.update(progress.done, payload);
      if (progress.total > 0 && progress.done >= progress.total) state.ended = true;
    },
    line(text) {
      const finished = text.endsWith("\n") ? text : `${text}\n`;
      if (bars !== undefined) bars.log(finished);
      else options.stream.write(finished);
    },
    stop() {
      bars?.stop();
      bars = undefined;
    },
  };
}

/** `12.3 MB of 80.0 MB`, `5 of 26 packages` */
export function amount(progress: BuildProgress): string {
  if (progress.unit === "packages") return `${progress.done} of ${progress.total} packages`;
  return `${formatBytes(progress.done)} of ${formatBytes(progress.total)}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1000 * 1000) return `${(bytes / 1000).toFixed(1)} kB`;
  if (bytes < 1000 * 1000 * 1000) return `${(bytes / (1000 * 1000)).toFixed(1)} MB`;
  return `${(bytes / (1000 * 1000 * 1000)).toFixed(2)} GB`;
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "";
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.ceil(seconds % 60)} s`;
}

/** The display of a command that follows a build: on its stderr, which a person reads. */
export function stderrDisplay(io: {
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}): { readonly progress: ProgressDisplay; readonly style: TerminalStyle } {
  const isTTY = isTerminal(io.stderr);
  const style = terminalStyle({ isTTY, env: io.env });
  return { progress: progressDisplay({ stream: io.stderr, isTTY, style }), style };
}
