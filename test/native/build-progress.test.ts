/**
 * What `env build` shows a person (issue 9, point 5), on the real registry with a conda channel
 * on loopback: on a terminal (stderr a TTY), a bar each for download, extraction, linking and
 * push with totals and percent, in colour unless NO_COLOR; off a terminal, the log's one line
 * per stage with its timing, and no redraws. Builds run in this process (SQLite), natively.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { runCli } from "../../src/cli/run-cli.js";
import { gate } from "../build/harness.js";
import { withLoopbackDefaults } from "../support/loopback-defaults.js";
import { cli } from "../support/run-cli.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { openCliHome } from "./harness.js";
import type { CliHome } from "./harness.js";

const Built = z.looseObject({ image: z.object({ name: z.string(), digest: z.string() }) });

let home: CliHome;
let dir: string;
let channel: SeedChannel;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  home = await openCliHome("envforge-progress-");
  ({ dir, channel, env } = home);
});

afterAll(async () => {
  await home?.close();
});

/** `env build NAME --json` with stderr a terminal (isTTY, as a TTY stream says) or not. */
async function build(
  name: string,
  terminal: { readonly isTTY: boolean; readonly env?: NodeJS.ProcessEnv },
): Promise<{ code: number; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: terminal.isTTY, columns: 120 });
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(["env", "build", name, "--json"], {
    stdout,
    stderr,
    env: withLoopbackDefaults({ ...env, ...terminal.env }),
    cwd: dir,
  });
  if (code === 0) home.pushed.push(Built.parse(JSON.parse(out)));
  return { code, stderr: err };
}

/** A conda environment of its own (a variable changes its image), so each build really runs. */
async function register(name: string): Promise<void> {
  const file = join(dir, `${name}.yml`);
  await writeFile(
    file,
    `name: ${name}\nchannels:\n  - ${channel.url}\ndependencies:\n  - envforge-hello\nvariables:\n  MARK: ${name}\n`,
  );
  const created = await cli(["env", "create", "-f", file], { env });
  expect(created.code, created.stderr).toBe(0);
}

describe.skipIf(gate.skip)("build progress", () => {
  it("draws download, extraction, linking and push bars with totals on a terminal, in colour", async () => {
    await register("bars");
    const result = await build("bars", { isTTY: true });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/download.* 100% [0-9.]+ k?B of [0-9.]+ k?B/);
    expect(result.stderr).toMatch(/extract.* 100% (\d+) of \1 packages/);
    expect(result.stderr).toMatch(/link.* 100% (\d+) of \1 packages/);
    expect(result.stderr).toMatch(/push.* 100% [0-9.]+ MB of [0-9.]+ MB/);
    // eslint-disable-next-line no-control-regex
    expect(result.stderr).toMatch(/\u001b\[36m/);
  }, 120_000);

  it("has no colour on a terminal with NO_COLOR", async () => {
    await register("plain");
    const result = await build("plain", { isTTY: true, env: { NO_COLOR: "1" } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/link.* 100%/);
    // eslint-disable-next-line no-control-regex
    expect(result.stderr).not.toMatch(/\u001b\[3\dm/);
  }, 120_000);

  it("off a terminal, the log has one line per stage with its timing, and nothing is redrawn", async () => {
    await register("lines");
    const result = await build("lines", { isTTY: false });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /^envforge: conda: fetched \d+ packages \(\d+ downloaded, \d+ from the cache\) in \d+\.\d s$/m,
    );
    expect(result.stderr).toMatch(
      /^envforge: conda: linked \d+ packages into \d+ layers in \d+\.\d s$/m,
    );
    expect(result.stderr).toMatch(/^envforge: pushed \S+: .* already there, in \d+\.\d s$/m);
    expect(result.stderr.match(/conda: linked /g)).toHaveLength(1);
    // eslint-disable-next-line no-control-regex
    expect(result.stderr).not.toMatch(/\r|\u001b\[/);
  }, 120_000);
});
