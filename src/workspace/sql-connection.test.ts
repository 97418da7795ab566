import { describe, expect, it } from "vitest";
import { InternalError } from "../errors/index.js";
import {
  flag,
  integer,
  integerOrNull,
  numberedPlaceholders,
  text,
  textOrNull,
} from "./sql-connection.js";

describe("numberedPlaceholders", () => {
  it.each([
    ["SELECT 1", "SELECT 1"],
    ["SELECT * FROM t WHERE a = ?", "SELECT * FROM t WHERE a = $1"],
    ["INSERT INTO t VALUES (?, ?, ?)", "INSERT INTO t VALUES ($1, $2, $3)"],
  ])("%s", (sql, expected) => {
    expect(numberedPlaceholders(sql)).toBe(expected);
  });
});

describe("column readers", () => {
  const row = { s: "x", n: 3, big: "9007199254740991", z: null, f: 1, o: 0, bad: "3.5" };

  it("read what both drivers send", () => {
    expect([text(row, "s"), textOrNull(row, "z"), integer(row, "n"), integer(row, "big")]).toEqual([
      "x",
      null,
      3,
      9007199254740991,
    ]);
    expect([integerOrNull(row, "z"), flag(row, "f"), flag(row, "o")]).toEqual([null, true, false]);
  });

  it("refuse what envforge never writes", () => {
    expect(() => integer(row, "bad")).toThrow(InternalError);
    expect(() => text(row, "n")).toThrow("store: column n holds 3, expected text");
    expect(() => integer(row, "missing")).toThrow(InternalError);
  });
});
