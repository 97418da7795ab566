import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatProgress,
  initialProgress,
  nextProgress,
  progressReporter,
} from "./progress.js";
import type { InstallEvent } from "./progress.js";

describe("progress", () => {
  it("folds events into one line", () => {
    const received = new Map<string, number>();
    const events: InstallEvent[] = [
      { type: "download", name: "a", received: 1000 },
      { type: "download", name: "a", received: 3000 },
      { type: "ready", name: "a", fetched: true, bytes: 3000 },
      { type: "ready", name: "b", fetched: false, bytes: 0 },
    ];
    const state = events.reduce((s, e) => nextProgress(s, e, received), initialProgress(3));
    expect(formatProgress(state)).toBe("fetching 2/3 packages (1 downloaded, 2.9 kB)");
    const linking = nextProgress(
      nextProgress(state, { type: "stage", stage: "link" }, received),
      { type: "linked", name: "a" },
      received,
    );
    expect(formatProgress(linking)).toBe("linking 1/3 packages");
  });

  it.each([
    [512, "512 B"],
    [2048, "2.0 kB"],
    [5 * 1024 * 1024, "5.0 MB"],
  ])("formats %i bytes as %s", (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it("draws on a terminal and stays silent elsewhere", () => {
    const draw = (isTTY: boolean): string => {
      const stream = new PassThrough();
      let out = "";
      stream.on("data", (chunk: Buffer) => (out += chunk.toString()));
      const reporter = progressReporter({ stream, isTTY, total: 1, now: () => 0 });
      reporter.onEvent({ type: "ready", name: "a", fetched: true, bytes: 1 });
      reporter.finish();
      return out;
    };
    expect(draw(false)).toBe("");
    expect(draw(true)).toBe("\rfetching 1/1 packages (1 downloaded, 0 B)\u001b[K\r\u001b[K");
  });
});
