import { describe, expect, it } from "vitest";
import { pinFromLines, pinnableFromReferences } from "./from-lines.js";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;

const DOCKERFILE = [
  "# syntax=docker/dockerfile:1",
  "ARG BASE=127.0.0.1:5000/envforge/debian:bookworm",
  "FROM 127.0.0.1:5000/envforge/debian:bookworm AS builder",
  "RUN echo FROM not-an-instruction",
  "FROM --platform=linux/amd64 127.0.0.1:5000/tools:1 as tools",
  "FROM builder",
  "FROM ${BASE}",
  "FROM scratch",
  `FROM 127.0.0.1:5000/pinned:1@${D1}`,
  "FROM 127.0.0.1:5000/envforge/debian:bookworm",
  "",
].join("\n");

describe("FROM lines", () => {
  it("lists the references that can be pinned, each once", () => {
    expect(pinnableFromReferences(DOCKERFILE)).toEqual([
      "127.0.0.1:5000/envforge/debian:bookworm",
      "127.0.0.1:5000/tools:1",
    ]);
  });

  it("rewrites those lines to name the digest and leaves every other line as written", () => {
    const pinned = pinFromLines(DOCKERFILE, [
      { reference: "127.0.0.1:5000/envforge/debian:bookworm", digest: D1 },
      { reference: "127.0.0.1:5000/tools:1", digest: D2 },
    ]);
    expect(pinned.split("\n")).toEqual([
      "# syntax=docker/dockerfile:1",
      "ARG BASE=127.0.0.1:5000/envforge/debian:bookworm",
      `FROM 127.0.0.1:5000/envforge/debian:bookworm@${D1} AS builder`,
      "RUN echo FROM not-an-instruction",
      `FROM --platform=linux/amd64 127.0.0.1:5000/tools:1@${D2} as tools`,
      "FROM builder",
      "FROM ${BASE}",
      "FROM scratch",
      `FROM 127.0.0.1:5000/pinned:1@${D1}`,
      `FROM 127.0.0.1:5000/envforge/debian:bookworm@${D1}`,
      "",
    ]);
  });

  it("does not read a continued line as an instruction", () => {
    const text = "FROM a:1\nRUN echo \\\n FROM b:1\n";
    expect(pinnableFromReferences(text)).toEqual(["a:1"]);
  });
});
