import { describe, expect, it } from "vitest";
import { InternalError } from "../errors/index.js";
import { canonicalJson } from "./canonical-json.js";

describe("canonicalJson", () => {
  it.each<[string, unknown, string]>([
    ["sorts keys and drops whitespace", { b: 1, a: [true, null] }, '{"a":[true,null],"b":1}'],
    ["sorts nested keys", { z: { y: 1, x: 2 } }, '{"z":{"x":2,"y":1}}'],
    // RFC 8785 §3.2.3: UTF-16 code unit order, so "\u20ac" (U+20AC) sorts before "\ud83d..." (emoji).
    [
      "orders keys by UTF-16 code units",
      { "😀": 1, "€": 2, a: 3, B: 4 },
      '{"B":4,"a":3,"€":2,"😀":1}',
    ],
    ["writes numbers as ECMAScript does", [1e21, 1.5, -0, 0.1, 100], "[1e+21,1.5,0,0.1,100]"],
    ["escapes control characters and quotes", ['a"b\\c\n\u0001'], '["a\\"b\\\\c\\n\\u0001"]'],
    ["keeps non-ASCII as UTF-8 text", ["é😀"], '["é😀"]'],
    ["accepts null-prototype objects", Object.assign(Object.create(null), { k: "v" }), '{"k":"v"}'],
  ])("%s", (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it.each<[string, unknown, string]>([
    ["undefined in an object", { a: undefined }, "$.a is undefined"],
    ["NaN", { n: [Number.NaN] }, "$.n[0] is NaN"],
    ["Infinity", Number.POSITIVE_INFINITY, "$ is Infinity"],
    ["a function", { f: () => 1 }, "$.f is a function"],
    ["a bigint", 1n, "$ is a bigint"],
    ["a Date", { d: new Date(0) }, "$.d is an instance of Date"],
    ["a Map", new Map(), "$ is an instance of Map"],
    ["a lone surrogate", ["\ud800"], "$[0] is a string with a lone surrogate"],
  ])("refuses %s", (_name, value, message) => {
    expect(() => canonicalJson(value)).toThrow(InternalError);
    expect(() => canonicalJson(value)).toThrow(
      `canonical JSON: ${message}, which has no canonical JSON form`,
    );
  });
});
