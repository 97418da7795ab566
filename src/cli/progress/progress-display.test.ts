import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { BuildProgress } from "../../builders/image-builder.js";
import { amount, progressDisplay } from "./progress-display.js";
import { terminalStyle } from "./terminal-style.js";

/** A stream that says it is a terminal (as a TTY's would), collecting what is drawn. */
function stream(isTTY: boolean): { stream: PassThrough; text: () => string } {
  const out = Object.assign(new PassThrough(), { isTTY, columns: 120, rows: 40 });
  const chunks: Buffer[] = [];
  out.on("data", (chunk: Buffer) => chunks.push(chunk));
  return { stream: out, text: () => Buffer.concat(chunks).toString("utf8") };
}

const MB = 1000 * 1000;
const STAGES: readonly BuildProgress[] = [
  { stage: "download", done: 10 * MB, total: 40 * MB, unit: "bytes" },
  { stage: "download", done: 40 * MB, total: 40 * MB, unit: "bytes" },
  { stage: "extract", done: 3, total: 3, unit: "packages" },
  { stage: "link", done: 1, total: 3, unit: "packages" },
  { stage: "link", done: 3, total: 3, unit: "packages" },
  { stage: "push", done: 5 * MB, total: 20 * MB, unit: "bytes" },
];
// eslint-disable-next-line no-control-regex
const COLOUR = /\u001b\[(3[0-9]|2|1)m/;

async function drive(isTTY: boolean, env: NodeJS.ProcessEnv): Promise<string> {
  const out = stream(isTTY);
  const display = progressDisplay({
    stream: out.stream,
    isTTY,
    style: terminalStyle({ isTTY, env }),
  });
  await display.ready;
  display.line("envforge: a log line\n");
  for (const progress of STAGES) display.onProgress(progress);
  display.stop();
  return out.text();
}

describe("progress display on a terminal", () => {
  it("draws a bar per stage with totals, percent and ETA, in colour", async () => {
    const text = await drive(true, {});
    for (const stage of ["download", "extract", "link", "push"]) expect(text).toContain(stage);
    expect(text).toContain("40.0 MB of 40.0 MB");
    expect(text).toContain("3 of 3 packages");
    expect(text).toMatch(/100%/);
    expect(text).toMatch(/ 25% 5\.0 MB of 20\.0 MB/);
    expect(text).toMatch(/ETA|done/);
    expect(text).toContain("envforge: a log line");
    expect(text).toMatch(COLOUR);
  });

  it("has no colour with NO_COLOR, and still draws", async () => {
    const text = await drive(true, { NO_COLOR: "1" });
    expect(text).toContain("40.0 MB of 40.0 MB");
    expect(text).not.toMatch(COLOUR);
  });
});

describe("progress display off a terminal", () => {
  it("draws nothing: the build's log has one timed line per stage, in order", async () => {
    expect(await drive(false, {})).toBe("envforge: a log line\n");
  });
});

describe("amount", () => {
  it.each([
    [{ stage: "link", done: 5, total: 26, unit: "packages" }, "5 of 26 packages"],
    [{ stage: "download", done: 1500, total: 2_500_000_000, unit: "bytes" }, "1.5 kB of 2.50 GB"],
  ] as const)("%j", (progress, text) => {
    expect(amount(progress)).toBe(text);
  });
});
