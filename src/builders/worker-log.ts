/**
 * A build's log on its way to the store: lines are gathered and written as chunks (one per
 * stream run, at most every `flushMs`), so a chatty build makes a few writes a second, not one
 * per line. Writes are chained, so chunks land in the order the lines came.
 */
import type { BuildLogLine } from "./image-builder.js";

export interface LogSink {
  write(chunk: { readonly stream: BuildLogLine["stream"]; readonly text: string }): Promise<void>;
}

export interface BufferedLog {
  /** One line; a newline is added when it has none. */
  push(line: BuildLogLine): void;
  /** Output as it came (a job's stdout): kept byte for byte, partial lines included. */
  write(chunk: BuildLogLine): void;
  /** Writes what is buffered and waits for every earlier write. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** A chunk is cut at this size even inside a flush interval. */
const MAX_CHUNK = 64 * 1024;

export function bufferedLog(sink: LogSink, options: { readonly flushMs: number }): BufferedLog {
  let pending: BuildLogLine[] = [];
  let size = 0;
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;

  const drain = (): Promise<void> => {
    const lines = pending;
    pending = [];
    size = 0;
    for (const chunk of chunksOf(lines)) {
      chain = chain.then(() =>
        sink.write(chunk).catch((error: unknown) => {
          failure ??= error;
        }),
      );
    }
    return chain;
  };
  const write = (chunk: BuildLogLine): void => {
    pending.push(chunk);
    size += chunk.text.length;
    if (size >= MAX_CHUNK) void drain();
  };
  const timer = setInterval(() => void drain(), options.flushMs);
  timer.unref();

  return {
    push(line) {
      const text = line.text.endsWith("\n") ? line.text : `${line.text}\n`;
      write({ stream: line.stream, text });
    },
    write,
    flush: drain,
    async close() {
      clearInterval(timer);
      await drain();
      if (failure !== undefined) throw failure;
    },
  };
}

function chunksOf(lines: readonly BuildLogLine[]): BuildLogLine[] {
  const chunks: BuildLogLine[] = [];
  for (const line of lines) {
    const last = chunks.at(-1);
    if (last !== undefined && last.stream === line.stream && last.text.length < MAX_CHUNK) {
      chunks[chunks.length - 1] = { stream: last.stream, text: last.text + line.text };
    } else {
      chunks.push(line);
    }
  }
  return chunks;
}
