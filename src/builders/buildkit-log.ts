/**
 * The Docker engine's BuildKit build stream, decoded: JSON lines whose `moby.buildkit.trace`
 * events carry a base64 protobuf StatusResponse (moby/buildkit api/services/control). dockerode's
 * own decoder turns RUN output into base64 text (it reads `bytes` as strings), so envforge reads
 * the wire format itself. Output arrives in chunks per step; lines are cut at `\n` per step and
 * stream, and a step's unfinished line is flushed when the step ends.
 */
import * as z from "zod";
import type { BuildLogLine } from "./image-builder.js";
import { messagesOf, readFields, stringField, varintField, bytesField } from "./protobuf-wire.js";
import type { WireValue } from "./protobuf-wire.js";

/** A BuildKit vertex (one Dockerfile step or internal operation) as the trace reports it. */
export interface TraceVertex {
  readonly digest: string;
  readonly name: string;
  readonly cached: boolean;
  readonly started: boolean;
  readonly completed: boolean;
  readonly error: string;
}

export interface TraceLog {
  readonly vertex: string;
  /** 1 stdout, 2 stderr. */
  readonly stream: number;
  readonly msg: Buffer;
}

export interface TraceStatus {
  readonly vertexes: readonly TraceVertex[];
  readonly logs: readonly TraceLog[];
}

/** One StatusResponse from its protobuf bytes. */
export function decodeTraceStatus(bytes: Buffer): TraceStatus {
  const fields = readFields(bytes);
  return {
    vertexes: messagesOf(fields, 1).map(vertexOf),
    logs: messagesOf(fields, 3).map((log) => ({
      vertex: stringField(log, 1),
      stream: varintField(log, 3),
      msg: bytesField(log, 4) ?? Buffer.alloc(0),
    })),
  };
}

function vertexOf(vertex: WireValue[]): TraceVertex {
  return {
    digest: stringField(vertex, 1),
    name: stringField(vertex, 3),
    cached: varintField(vertex, 4) !== 0,
    started: bytesField(vertex, 5) !== undefined,
    completed: bytesField(vertex, 6) !== undefined,
    error: stringField(vertex, 7),
  };
}

// The engine's progress events; other keys (status, progressDetail, …) are ignored.
const EngineEvent = z.looseObject({
  id: z.string().optional(),
  aux: z.unknown().optional(),
  error: z.string().optional(),
  stream: z.string().optional(),
});
const ImageIdAux = z.looseObject({ ID: z.string() });

/** What a finished build stream said beyond its log lines. */
export interface BuildStreamResult {
  /** `sha256:…` from the `moby.image.id` event. */
  readonly imageId?: string;
  /** The engine's `{error}` event, if any: the build failed. */
  readonly error?: string;
  /** The step whose vertex reported an error. */
  readonly failedStep?: string;
  /** That vertex's own error text (e.g. `process "/bin/sh -c exit 3" did not complete …`). */
  readonly stepError?: string;
}

/**
 * Feeds engine stream events (parsed JSON lines) in, calls `emit` with log lines, and keeps
 * what decides the outcome. Works for classic builder events (`{stream}`) too.
 */
export class BuildkitLogDecoder {
  readonly #emit: (line: BuildLogLine) => void;
  readonly #names = new Map<string, string>();
  readonly #announced = new Set<string>();
  readonly #partial = new Map<string, { stream: "stdout" | "stderr"; text: string }>();
  #imageId: string | undefined;
  #error: string | undefined;
  #failedStep: string | undefined;
  #stepError: string | undefined;

  constructor(emit: (line: BuildLogLine) => void) {
    this.#emit = emit;
  }

  /** One JSON line of the stream. Lines that are not JSON objects are passed on as stdout. */
  pushLine(line: string): void {
    if (line.trim() === "") return;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      this.#emit({ stream: "stdout", text: line });
      return;
    }
    this.pushEvent(event);
  }

  pushEvent(input: unknown): void {
    const parsed = EngineEvent.safeParse(input);
    if (!parsed.success) return;
    const event = parsed.data;
    const imageId = ImageIdAux.safeParse(event.aux);
    if (event.id === "moby.buildkit.trace" && typeof event.aux === "string") {
      this.#trace(decodeTraceStatus(Buffer.from(event.aux, "base64")));
    } else if (event.id === "moby.image.id" && imageId.success) {
      this.#imageId = imageId.data.ID;
    } else if (event.error !== undefined) {
      this.#error = event.error;
    } else if (event.stream !== undefined) {
      for (const text of event.stream.split("\n")) {
        if (text.trim() !== "")
          this.#emit({ stream: /^Step \d+\/\d+ : /.test(text) ? "step" : "stdout", text });
      }
    }
  }

  /** Flushes unfinished lines; call when the stream ended. */
  finish(): BuildStreamResult {
    for (const digest of [...this.#partial.keys()]) this.#flush(digest);
    return {
      ...(this.#imageId === undefined ? {} : { imageId: this.#imageId }),
      ...(this.#error === undefined ? {} : { error: this.#error }),
      ...(this.#failedStep === undefined ? {} : { failedStep: this.#failedStep }),
      ...(this.#stepError === undefined ? {} : { stepError: this.#stepError }),
    };
  }

  #trace(status: TraceStatus): void {
    for (const vertex of status.vertexes) {
      if (vertex.name !== "") this.#names.set(vertex.digest, vertex.name);
      const name = this.#names.get(vertex.digest) ?? vertex.digest;
      if ((vertex.started || vertex.cached) && !this.#announced.has(vertex.digest)) {
        this.#announced.add(vertex.digest);
        this.#emit({ stream: "step", text: vertex.cached ? `${name} (cached)` : name });
      }
      if (vertex.error !== "" && this.#failedStep === undefined) {
        this.#failedStep = name;
        this.#stepError = vertex.error;
      }
      if (vertex.completed) this.#flush(vertex.digest);
    }
    for (const log of status.logs) {
      const stream = log.stream === 2 ? "stderr" : "stdout";
      const key = `${log.vertex}\0${stream}`;
      const pending = this.#partial.get(key);
      const text = (pending?.text ?? "") + log.msg.toString("utf8");
      const lines = text.split("\n");
      const rest = lines.pop() ?? "";
      for (const line of lines) this.#emit({ stream, text: line.replace(/\r$/, "") });
      if (rest === "") this.#partial.delete(key);
      else this.#partial.set(key, { stream, text: rest });
    }
  }

  #flush(digest: string): void {
    for (const [key, pending] of [...this.#partial.entries()]) {
      if (key === digest || key.startsWith(`${digest}\0`)) {
        this.#emit({ stream: pending.stream, text: pending.text.replace(/\r$/, "") });
        this.#partial.delete(key);
      }
    }
  }
}
