import { describe, expect, it } from "vitest";
import { InternalError } from "../errors/index.js";
import {
  decodeDefinition,
  decodeLock,
  decodeScopes,
  decodeStringRecord,
  encodeJson,
} from "./stored-values.js";

describe("stored JSON", () => {
  it("is canonical and drops undefined properties", () => {
    expect(encodeJson({ b: 1, a: { d: undefined, c: [2] } })).toBe('{"a":{"c":[2]},"b":1}');
  });

  it.each([
    ["a definition", () => decodeDefinition('{"kind":"nonsense"}')],
    ["a lock", () => decodeLock('{"version":2}')],
    ["tags", () => decodeStringRecord('{"a":1}', "tags")],
    ["scopes", () => decodeScopes('"read"')],
    ["broken JSON", () => decodeStringRecord("{", "tags")],
  ])("refuses %s envforge did not write", (_what, decode) => {
    expect(decode).toThrow(InternalError);
  });

  it("reads scopes in their fixed order, ignoring unknown ones", () => {
    expect(decodeScopes('["admin","read","root"]')).toEqual(["read", "admin"]);
  });

  it("has no lock for NULL", () => {
    expect(decodeLock(null)).toBeUndefined();
  });
});
