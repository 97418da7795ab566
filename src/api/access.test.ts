import { describe, expect, it } from "vitest";
import type { TokenGrant, TokenScope } from "../workspace/index.js";
import { grants, isServerAdmin } from "./access.js";

const grant = (workspace: string, scopes: TokenScope[]): TokenGrant => ({
  tokenId: "t",
  workspace,
  scopes,
});

describe("scopes nest: admin ⊇ write ⊇ read", () => {
  it.each<[TokenScope[], TokenScope, boolean]>([
    [["read"], "read", true],
    [["read"], "write", false],
    [["read"], "admin", false],
    [["write"], "read", true],
    [["write"], "write", true],
    [["write"], "admin", false],
    [["admin"], "read", true],
    [["admin"], "write", true],
    [["admin"], "admin", true],
    [["read", "admin"], "write", true],
  ])("%j grants %s: %s", (held, needed, expected) => {
    expect(grants(grant("team", held), needed)).toBe(expected);
  });

  it.each<[string, TokenScope[], boolean]>([
    ["default", ["admin"], true],
    ["default", ["write"], false],
    ["team", ["admin"], false],
  ])("a %s token with %j is the server admin: %s", (workspace, scopes, expected) => {
    expect(isServerAdmin(grant(workspace, scopes))).toBe(expected);
  });
});
