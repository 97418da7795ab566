import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "../support/run-cli.js";

/**
 * A conda definition registered without a lock (its channels were out of reach) cannot be built:
 * that is invalid input (exit 2, nothing queued), not an engine failure (5) found by a worker.
 */
const dir = mkdtempSync(join(tmpdir(), "envforge-unlocked-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = {
  ENVFORGE_HOME: join(dir, "home"),
  ENVFORGE_CONFIG: join(dir, "none.yaml"),
  HOME: dir,
};

describe("env build of a version without a lock", () => {
  it("exits 2 naming the lock, queues nothing, and --json gives the same error object", async () => {
    const file = join(dir, "env.yml");
    writeFileSync(file, "name: unlocked\ndependencies:\n  - python=3.11\n");
    const created = await cli(["env", "create", "-f", file, "-n", "unlocked"], { env });
    expect(created.code).toBe(0);
    expect(created.stderr).toContain("registered without a lock");

    const built = await cli(["env", "build", "unlocked"], { env });
    expect(built.code).toBe(2);
    expect(built.stderr).toMatch(
      /^envforge: lock: unlocked version 1: a definition with conda packages is built from its lock/,
    );
    const json = await cli(["env", "build", "unlocked", "--json"], { env });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: "validation",
      status: 422,
      exitCode: 2,
      problems: [{ key: "lock", found: "no lock" }],
    });
    const builds = await cli(["build", "list", "--json"], { env });
    expect(JSON.parse(builds.stdout)).toMatchObject({ items: [] });
  });
});
