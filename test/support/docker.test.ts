import { describe, expect, it } from "vitest";
import { engineGate } from "./docker.js";

describe("engineGate", () => {
  it("runs the tests when the engine is there, in CI or not", () => {
    for (const env of [{ CI: "true" }, {}]) {
      const gate = engineGate("engine", undefined, env);
      expect(gate.skip).toBe(false);
      expect(() => gate.require()).not.toThrow();
    }
  });

  it("skips outside CI when the engine is missing", () => {
    expect(engineGate("engine", "not there", {}).skip).toBe(true);
  });

  it("fails in CI when the engine is missing, saying why", () => {
    const gate = engineGate("Docker engine", "no socket; run scripts/ci/engines.sh", {
      CI: "true",
    });
    expect(gate.skip).toBe(false);
    expect(() => gate.require()).toThrow(
      "Docker engine is required: no socket; run scripts/ci/engines.sh",
    );
  });
});
