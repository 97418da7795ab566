import { describe, expect, it } from "vitest";
import { cli } from "../support/run-cli.js";

/**
 * Top-level help lists the exit codes (issue 9, point 6): scripts depend on them, so a change
 * to the table must be a change to this test.
 */
describe("envforge --help", () => {
  it("lists the exit-code table, with run's codes as docker run's", async () => {
    const result = await cli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      [
        "Exit codes:",
        "    0  success",
        "    2  invalid input",
        "    3  not found",
        "    4  conflict",
        "    5  external service failed",
        "    6  unauthorized",
        "    7  forbidden",
        "   70  internal error",
        "  envforge run: the job's own exit code, unchanged, or",
        "  125  envforge or the engine failed (the message says why)",
        "  126  the command cannot be invoked (not executable)",
        "  127  the command was not found in the image",
      ].join("\n"),
    );
  });

  it("gives run's usage errors 125 (every lower code is its job's), other commands' 2", async () => {
    const run = await cli(["run"]);
    expect(run.code).toBe(125);
    expect(run.stderr).toContain("missing required argument 'environment'");
    expect((await cli(["run", "--help"])).code).toBe(0);
    expect((await cli(["env", "show"])).code).toBe(2);
  });
});
