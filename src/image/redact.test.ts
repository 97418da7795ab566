import { describe, expect, it } from "vitest";
import { REDACTED, redact, secretFormsOf } from "./redact.js";

describe("redact", () => {
  it.each([
    ["no secrets here", ["pw"], "no secrets here"],
    ["user:pw failed", ["pw"], `user:${REDACTED} failed`],
    ["pw pw", ["pw"], `${REDACTED} ${REDACTED}`],
    ["token abcdef and abc", ["abc", "abcdef"], `token ${REDACTED} and ${REDACTED}`],
    ["empty secret ignored", [""], "empty secret ignored"],
  ])("%j with %j", (text, secrets, expected) => {
    expect(redact(text, secrets)).toBe(expected);
  });

  it("removes both forms a password travels in", () => {
    const forms = secretFormsOf("envforge", "s3cret!");
    const header = `Authorization: Basic ${Buffer.from("envforge:s3cret!").toString("base64")}`;
    const text = redact(`${header}; password s3cret!`, forms);
    expect(text).toBe(`Authorization: Basic ${REDACTED}; password ${REDACTED}`);
  });
});
