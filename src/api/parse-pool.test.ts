import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_PARSE_SETTINGS } from "../definition/definition.js";
import { readJsonBody } from "./json-reading.js";
import { createParsePool } from "./parse-pool.js";
import { readRegistration } from "./upload/read-registration.js";

const pool = createParsePool({ threads: 2 });
afterAll(() => pool.close());

const bytes = (text: string): Buffer => Buffer.from(text, "utf8");

/**
 * What crosses the thread by structured clone, made comparable: a Buffer arrives as a
 * Uint8Array, symbol keys and a stack (where the error was made) do not cross.
 */
function comparable(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, key: string, made: unknown) {
    const original: unknown =
      typeof this === "object" && this !== null ? Reflect.get(this, key) : made;
    if (original instanceof Uint8Array) return `bytes ${Buffer.from(original).toString("hex")}`;
    if (original instanceof Map) return [...original.entries()];
    return key === "stack" ? undefined : made;
  });
}

describe("the parse pool answers as the same reading in place", () => {
  it.each([
    ['{"a": [1, 2, {"b": null}]}'],
    ['{"a": '],
    ['{"__proto__": {"x": 1}}'],
    ['{"constructor": {"prototype": {}}}'],
    ['\ufeff{"a": 1}'],
    [`{"big": "${"x".repeat(300_000)}"}`],
  ])("JSON %#", async (text) => {
    expect(await pool.json(bytes(text))).toEqual(readJsonBody(bytes(text)));
  });

  it.each([
    {
      entry: "ctx",
      files: {
        "ctx/Dockerfile": "FROM 127.0.0.1:5000/base:1\nCOPY a.bin /a.bin\n",
        "ctx/a.bin": { base64: Buffer.alloc(50_000, 3).toString("base64"), mode: 493 },
        "ctx/b.txt": "small\n",
      },
      tags: { t: "1" },
    },
    { entry: "requirements.txt", files: { "requirements.txt": "numpy=1\n" } },
    { entry: 3, files: {} },
  ])("registration %#", async (body) => {
    const text = JSON.stringify(body);
    const there = await pool.registration(bytes(text), DEFAULT_PARSE_SETTINGS);
    expect(comparable(there)).toBe(
      comparable(readRegistration(bytes(text), DEFAULT_PARSE_SETTINGS)),
    );
  });
});

describe("the body's bytes", () => {
  it("are moved to the thread when the caller's buffer holds them whole", async () => {
    const whole = new Uint8Array(bytes('{"a": 1}'));
    expect(await pool.json(whole)).toEqual({ kind: "json", value: { a: 1 } });
    expect(whole.byteLength).toBe(0);
  });

  it("are copied when they are a slice of a bigger buffer, which stays as it was", async () => {
    const shared = bytes('xx{"a": 2}yy');
    const slice = shared.subarray(2, shared.length - 2);
    expect(await pool.json(slice)).toEqual({ kind: "json", value: { a: 2 } });
    expect(shared.toString("utf8")).toBe('xx{"a": 2}yy');
  });
});
