/**
 * Issue 13: a 20 MB file made the CLI run out of memory (exit 134). The CLI refuses it before
 * reading it, with the message the API gives (same limit, same words), and writes nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../support/run-cli.js";

describe("the CLI's input limits", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "envforge-limits-"));
    env = { ENVFORGE_HOME: join(dir, "home"), ENVFORGE_CONFIG: join(dir, "none.yaml"), HOME: dir };
    writeFileSync(join(dir, "requirements.txt"), `numpy\n${"a".repeat(20 * 1024 * 1024)}\n`);
    writeFileSync(join(dir, "environment.yml"), "aaaa\n");
    // Loads the CLI's modules once, so the timing below is the refusal's own.
    await cli(["env", "list"], { cwd: dir, env });
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a 20 MB requirements file at once, naming the file and the limit", async () => {
    const start = performance.now();
    const created = await cli(["env", "create", "-f", "requirements.txt", "-n", "big"], {
      cwd: dir,
      env,
    });
    expect(performance.now() - start).toBeLessThan(1000);
    expect(created.code).toBe(2);
    expect(created.stderr).toContain(
      "requirements.txt: the file is larger than a definition file may be (found 20971527 bytes (20480.0 KiB); allowed: at most 262144 bytes (256 KiB); docs/limits.md)",
    );
    const listed = await cli(["env", "list", "--json"], { cwd: dir, env });
    expect(listed.stdout).not.toContain('"big"');
  });

  it("does not read a file named environment.yml holding aaaa as pip requirements", async () => {
    const created = await cli(["env", "create", "-f", "environment.yml", "-n", "named"], {
      cwd: dir,
      env,
    });
    expect(created.code).toBe(2);
    expect(created.stderr).toContain("cannot tell what kind of definition this file is");
  });
});
