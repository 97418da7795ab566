import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stripUrlCredentials } from "./strip-url-credentials.js";

/** The rule as it was first written: two regular expressions, quadratic on long scheme-like runs. */
function byRegex(text: string): string {
  return text
    .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#\s]*@/g, "$1")
    .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\s]+)\/t\/[^/\s]+(?=\/|$|\s)/g, "$1");
}

// Characters that make and break URLs, so short strings reach every branch of both rules.
const piece = fc.constantFrom(
  "://",
  "a",
  "Z",
  "9",
  "+",
  ".",
  "-",
  ":",
  "/",
  "@",
  "?",
  "#",
  " ",
  "\n",
  "\u00a0",
  "t",
  "/t/",
  "x@y",
  "_",
);
const urlish = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(""));

describe("stripUrlCredentials", () => {
  it("gives what the two regular expressions give", () => {
    fc.assert(
      fc.property(urlish, (text) => {
        expect(stripUrlCredentials(text)).toBe(byRegex(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    ["https://user:pass@host/simple", "https://host/simple"],
    ["https://conda.example/t/tok-123/main", "https://conda.example/main"],
    ["a @ git+https://u:p@h/r.git ; x://k@h/t/s", "a @ git+https://h/r.git ; x://h"],
    ["1a://u@h", "1a://h"],
    ["-://u@h b://u@v@w/x", "-://u@h b://w/x"],
    ["no url here", "no url here"],
  ])("%s", (input, expected) => {
    expect(stripUrlCredentials(input)).toBe(expected);
    expect(byRegex(input)).toBe(expected);
  });

  it("is linear: long scheme-like words beside a URL take milliseconds, not seconds", () => {
    const text = `${"a".repeat(8000)} x://h/t/k\n`.repeat(30);
    const started = process.cpuUsage();
    const out = stripUrlCredentials(text);
    const { user, system } = process.cpuUsage(started);
    expect(out).toBe(`${"a".repeat(8000)} x://h\n`.repeat(30));
    // The regular expressions took over 1 s of CPU on this input.
    expect((user + system) / 1000).toBeLessThan(100);
  });
});
