/** How builds and their logs look in a terminal. */
import type { Build, BuildEvent, LogChunk } from "../../workspace/build-api.js";
import type { CliIo } from "../context.js";
import type { ProgressDisplay } from "../progress/progress-display.js";
import type { TerminalStyle } from "../progress/terminal-style.js";
import { formatTable } from "../remote/table.js";

export function buildLines(build: Build): string {
  const rows: [string, string | number | boolean | null][] = [
    ["id", build.id],
    ["environment", `${build.name}@${build.version} (workspace ${build.workspace})`],
    ["state", build.state],
    ["image", build.image.name],
    ["kept in", imageWhere(build.image)],
    ["digest", build.image.digest],
    ["image id", build.image.id],
    ["cache hit", build.cacheHit],
    // Only once a lost worker made the build run again; a first attempt is no news.
    ["attempt", build.attempt > 1 ? `${build.attempt} of ${build.maxAttempts}` : null],
    ["reason", build.reason],
    ["created", build.createdAt],
    ["started", build.startedAt],
    ["finished", build.finishedAt],
    ["duration", build.durationMs === null ? null : `${(build.durationMs / 1000).toFixed(1)} s`],
  ];
  return rows
    .filter(([, value]) => value !== null)
    .map(([key, value]) => `${`${key}:`.padEnd(13)}${String(value)}`)
    .join("\n");
}

/** Where an image is kept, in plain words (env show --image says it the same way). */
export function imageWhere(image: Build["image"]): string {
  return image.location === "local-engine"
    ? "the local Docker engine (no registry)"
    : `the registry ${image.registry ?? ""}`.trimEnd();
}

export function buildsTable(builds: readonly Build[]): string {
  return formatTable(
    ["ID", "ENVIRONMENT", "STATE", "CREATED", "IMAGE"],
    builds.map((b) => [b.id, `${b.name}@${b.version}`, b.state, b.createdAt, b.image.name]),
  );
}

/** A log chunk as the terminal shows it: errors to stderr, the rest to `out`. */
export function writeChunk(
  io: CliIo,
  chunk: LogChunk,
  out: NodeJS.WritableStream,
  style: TerminalStyle = PLAIN,
): void {
  if (chunk.stream === "stderr") io.stderr.write(chunk.text);
  else if (chunk.stream === "envforge") out.write(envforgeLines(chunk.text, style));
  else out.write(chunk.text);
}

/** Prints a followed build's events; returns its final state. */
export async function printEvents(
  io: CliIo,
  events: AsyncIterable<BuildEvent>,
  options: {
    readonly json: boolean;
    /** Leave out the log's `build failed: …` line: the command's error line says it. */
    readonly holdFailure?: boolean;
    /** On a terminal: log lines go above its progress bars, in colour unless NO_COLOR. */
    readonly display?: { readonly progress: ProgressDisplay; readonly style: TerminalStyle };
  },
): Promise<Build | undefined> {
  // With --json, stdout carries only the final JSON; the log goes to stderr.
  const out = options.json ? io.stderr : io.stdout;
  const display = options.display;
  let last: Build | undefined;
  try {
    for await (const event of events) {
      if (event.kind !== "log") last = event.build;
      else if (options.holdFailure === true && isFailureLine(event.chunk)) continue;
      else if (display?.progress.drawsBars !== true) writeChunk(io, event.chunk, out);
      else if (event.chunk.stream === "envforge") {
        display.progress.line(envforgeLines(event.chunk.text, display.style));
      } else display.progress.line(event.chunk.text);
    }
  } finally {
    display?.progress.stop();
  }
  return last;
}

/** The log's last line of a build that failed or was canceled (build-leases.ts writes it). */
function isFailureLine(chunk: LogChunk): boolean {
  return chunk.stream === "envforge" && /^build (failed|canceled)\b/.test(chunk.text);
}

/** `envforge: ` before each line; on a terminal, failures red and successes green. */
function envforgeLines(text: string, style: TerminalStyle): string {
  const prefix = style.paint("dim", "envforge: ");
  const painted = /^build (failed|canceled)\b/.test(text)
    ? style.paint("red", text.trimEnd())
    : /^build succeeded\b/.test(text)
      ? style.paint("green", text.trimEnd())
      : text.trimEnd();
  return `${prefixLines(painted, prefix)}\n`;
}

const PLAIN: TerminalStyle = { colour: false, paint: (_style, text) => text };

function prefixLines(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line, i, all) => (i === all.length - 1 && line === "" ? "" : `${prefix}${line}`))
    .join("\n");
}
