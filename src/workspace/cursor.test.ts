import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import { decodeNameCursor, decodeVersionCursor, encodeCursor } from "./cursor.js";

describe("cursors", () => {
  it.each(["pytorch", "a.b_c-d", ""])("round-trip the name %j", (name) => {
    expect(decodeNameCursor(encodeCursor(name))).toBe(name);
  });

  it.each([1, 42, 2_147_483_647])("round-trip the version %i", (version) => {
    expect(decodeVersionCursor(encodeCursor(version))).toBe(version);
  });

  it("passes no cursor through", () => {
    expect([decodeNameCursor(undefined), decodeVersionCursor(undefined)]).toEqual([
      undefined,
      undefined,
    ]);
  });

  it.each([
    ["garbage", "nonsense"],
    ["a version cursor for names", encodeCursor(3)],
    ["JSON without after", Buffer.from("{}").toString("base64url")],
  ])("refuses %s", (_what, cursor) => {
    expect(() => decodeNameCursor(cursor)).toThrow(ValidationError);
    expect(() => decodeNameCursor(cursor)).toThrow("cursor: not a cursor this list returned");
  });

  it("refuses a name cursor for versions", () => {
    expect(() => decodeVersionCursor(encodeCursor("x"))).toThrow(ValidationError);
  });
});
