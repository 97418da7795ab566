import { describe, expect, it } from "vitest";
import { readUserDockerfile } from "./user-dockerfile.js";

describe("readUserDockerfile", () => {
  it.each<[string, string, ReturnType<typeof readUserDockerfile>]>([
    [
      "a plain file",
      "FROM debian\nRUN true\n",
      { escape: "\\", endsInContinuation: false, lastLine: "RUN true" },
    ],
    [
      "the escape directive",
      "# syntax=docker/dockerfile:1\n# escape=`\nFROM debian\n",
      { escape: "`", endsInContinuation: false, lastLine: "FROM debian" },
    ],
    [
      "an escape directive after a comment (not a directive any more)",
      "# hello\n# escape=`\nFROM debian\n",
      { escape: "\\", endsInContinuation: false, lastLine: "FROM debian" },
    ],
    [
      "the last USER of the final stage",
      "FROM a AS build\nUSER builder\nFROM b\nUSER app:app\nRUN id\n",
      { escape: "\\", finalUser: "app:app", endsInContinuation: false, lastLine: "RUN id" },
    ],
    [
      "no USER in the final stage",
      "FROM a\nUSER builder\nFROM b\n",
      { escape: "\\", endsInContinuation: false, lastLine: "FROM b" },
    ],
    [
      "a continuation hidden behind comments and blank lines",
      "FROM a\nRUN echo \\  \n# comment\n\n",
      { escape: "\\", endsInContinuation: true, lastLine: "RUN echo \\  " },
    ],
    [
      "CRLF line ends",
      "FROM a\r\nUSER me\r\n",
      { escape: "\\", finalUser: "me", endsInContinuation: false, lastLine: "USER me" },
    ],
  ])("reads %s", (_name, text, expected) => {
    expect(readUserDockerfile(text)).toEqual(expected);
  });
});
