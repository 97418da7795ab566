import { describe, expect, it } from "vitest";
import { BuildkitLogDecoder, decodeTraceStatus } from "./buildkit-log.js";
import type { BuildLogLine } from "./image-builder.js";
import { readFields, writeFields } from "./protobuf-wire.js";

const TIMESTAMP = writeFields([{ field: 1, value: 1_700_000_000 }]);

interface VertexSpec {
  readonly digest: string;
  readonly name?: string;
  readonly cached?: boolean;
  readonly started?: boolean;
  readonly completed?: boolean;
  readonly error?: string;
}

function vertex(spec: VertexSpec): Buffer {
  return writeFields([
    { field: 1, value: spec.digest },
    ...(spec.name === undefined ? [] : [{ field: 3, value: spec.name }]),
    ...(spec.cached === true ? [{ field: 4, value: 1 }] : []),
    ...(spec.started === true ? [{ field: 5, value: TIMESTAMP }] : []),
    ...(spec.completed === true ? [{ field: 6, value: TIMESTAMP }] : []),
    ...(spec.error === undefined ? [] : [{ field: 7, value: spec.error }]),
  ]);
}

function log(digest: string, stream: number, text: string): Buffer {
  return writeFields([
    { field: 1, value: digest },
    { field: 2, value: TIMESTAMP },
    { field: 3, value: stream },
    { field: 4, value: Buffer.from(text) },
  ]);
}

/** One engine stream line carrying a StatusResponse. */
function trace(vertexes: readonly Buffer[], logs: readonly Buffer[] = []): string {
  const status = writeFields([
    ...vertexes.map((value) => ({ field: 1, value })),
    ...logs.map((value) => ({ field: 3, value })),
  ]);
  return JSON.stringify({ id: "moby.buildkit.trace", aux: status.toString("base64") });
}

function decode(lines: readonly string[]) {
  const out: BuildLogLine[] = [];
  const decoder = new BuildkitLogDecoder((line) => out.push(line));
  for (const line of lines) decoder.pushLine(line);
  return { lines: out, result: decoder.finish() };
}

describe("protobuf wire", () => {
  it.each([0, 1, 127, 128, 300, 2 ** 31, 2 ** 40])("round-trips the varint %d", (value) => {
    expect(readFields(writeFields([{ field: 9, value }]))).toEqual([
      { field: 9, kind: "varint", value },
    ]);
  });

  it("refuses a field that runs past the message", () => {
    expect(() => readFields(Buffer.from([0x0a, 0x05, 0x61]))).toThrow(
      "protobuf: field runs past the message",
    );
  });
});

describe("decodeTraceStatus", () => {
  it("reads vertexes and logs, keeping log bytes as bytes (not base64 text)", () => {
    const status = decodeTraceStatus(
      Buffer.from(
        JSON.parse(
          trace(
            [vertex({ digest: "sha256:a", name: "[1/2] FROM x", started: true, cached: true })],
            [log("sha256:a", 1, "hi\n")],
          ),
        ).aux,
        "base64",
      ),
    );
    expect(status.vertexes).toEqual([
      {
        digest: "sha256:a",
        name: "[1/2] FROM x",
        cached: true,
        started: true,
        completed: false,
        error: "",
      },
    ]);
    expect(status.logs.map((l) => [l.vertex, l.stream, l.msg.toString()])).toEqual([
      ["sha256:a", 1, "hi\n"],
    ]);
  });
});

describe("BuildkitLogDecoder", () => {
  it.each([
    {
      name: "a step, then its stdout and stderr as lines",
      lines: [
        trace([vertex({ digest: "d1", name: "[2/2] RUN echo a", started: true })]),
        trace([], [log("d1", 1, "line-one\nline-"), log("d1", 2, "warn\n")]),
        trace([], [log("d1", 1, "two\n")]),
        trace([vertex({ digest: "d1", started: true, completed: true })]),
        JSON.stringify({ id: "moby.image.id", aux: { ID: "sha256:feed" } }),
      ],
      expected: [
        { stream: "step", text: "[2/2] RUN echo a" },
        { stream: "stdout", text: "line-one" },
        { stream: "stderr", text: "warn" },
        { stream: "stdout", text: "line-two" },
      ],
      result: { imageId: "sha256:feed" },
    },
    {
      name: "a cached step is announced once, marked cached",
      lines: [
        trace([vertex({ digest: "d2", name: "[1/3] COPY a b", cached: true, started: true })]),
        trace([vertex({ digest: "d2", name: "[1/3] COPY a b", cached: true, completed: true })]),
      ],
      expected: [{ stream: "step", text: "[1/3] COPY a b (cached)" }],
      result: {},
    },
    {
      name: "an unfinished line is flushed when its step completes",
      lines: [
        trace([vertex({ digest: "d3", name: "[3/3] RUN printf x", started: true })]),
        trace([], [log("d3", 1, "no newline")]),
        trace([vertex({ digest: "d3", completed: true })]),
      ],
      expected: [
        { stream: "step", text: "[3/3] RUN printf x" },
        { stream: "stdout", text: "no newline" },
      ],
      result: {},
    },
    {
      name: "a failing step is named, with the engine's error",
      lines: [
        trace([vertex({ digest: "d4", name: "[2/2] RUN exit 3", started: true })]),
        trace([
          vertex({
            digest: "d4",
            started: true,
            completed: true,
            error: 'process "/bin/sh -c exit 3" did not complete successfully: exit code: 3',
          }),
        ]),
        JSON.stringify({
          errorDetail: { message: "executor failed running [/bin/sh -c exit 3]: exit code: 3" },
          error: "executor failed running [/bin/sh -c exit 3]: exit code: 3",
        }),
      ],
      expected: [{ stream: "step", text: "[2/2] RUN exit 3" }],
      result: {
        error: "executor failed running [/bin/sh -c exit 3]: exit code: 3",
        failedStep: "[2/2] RUN exit 3",
        stepError: 'process "/bin/sh -c exit 3" did not complete successfully: exit code: 3',
      },
    },
    {
      name: "classic builder stream lines",
      lines: [
        JSON.stringify({ stream: "Step 1/2 : FROM x\n" }),
        JSON.stringify({ stream: " ---> abc\n" }),
      ],
      expected: [
        { stream: "step", text: "Step 1/2 : FROM x" },
        { stream: "stdout", text: " ---> abc" },
      ],
      result: {},
    },
  ])("$name", ({ lines, expected, result }) => {
    const decoded = decode(lines);
    expect(decoded.lines).toEqual(expected);
    expect(decoded.result).toEqual(result);
  });
});
