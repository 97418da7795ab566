import { describe, expect, it } from "vitest";
import { createParseGate } from "./parse-gate.js";

describe("createParseGate", () => {
  it("runs one work at a time and lets waiting I/O in between two", async () => {
    const gate = createParseGate();
    const order: string[] = [];
    const first = gate(() => {
      order.push("parse 1");
      // Something that arrives while parse 1 runs (a /healthz request's callback).
      setImmediate(() => order.push("healthz"));
      return 1;
    });
    const second = gate(() => {
      order.push("parse 2");
      return 2;
    });
    const failing = gate(() => {
      throw new Error("bad definition");
    });
    const third = gate(async () => Promise.resolve(3));
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    await expect(failing).rejects.toThrow("bad definition");
    expect(await third).toBe(3);
    expect(order).toEqual(["parse 1", "healthz", "parse 2"]);
  });
});
