// `envforge lock` run in-process against defaults-2018 served on 127.0.0.1.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChannelServer } from "../../src/conda/channel-server.js";
import type { ChannelServer } from "../../src/conda/channel-server.js";
import { cli } from "../support/run-cli.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const channelDir = resolve(repoRoot, "../shared/testdata/repodata/defaults-2018");

let server: ChannelServer;
let work: string;

const ENV_YML = `name: science
channels:
  - defaults
dependencies:
  - python=3.6
  - numpy
  - scipy
  - pandas
`;

beforeAll(async () => {
  server = await startChannelServer({ root: channelDir });
  work = await mkdtemp(join(tmpdir(), "envforge-lock-cli-"));
  await writeFile(join(work, "env.yml"), ENV_YML);
});

afterAll(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

function envforge(args: string[], channelUrl = server.url) {
  return cli(args, {
    cwd: work,
    env: { ENVFORGE_HOME: join(work, "home"), ENVFORGE_CHANNEL_URLS: `defaults=${channelUrl}` },
  });
}

function withoutProgress(stderr: string): string {
  return stderr.replace(/^(repodata|solved) .*\n/gm, "");
}

describe("envforge lock", () => {
  it("writes envforge.lock, then finds it unchanged and up to date", async () => {
    const first = await envforge(["lock", "env.yml"]);
    // Progress goes to stderr, one line per stage; the repodata loads run in parallel.
    expect(
      first.stderr
        .split("\n")
        .map((line) => line.replace(/\d+ ms/, "N ms"))
        .sort(),
    ).toEqual([
      "",
      "repodata defaults linux-64: downloaded (N ms)",
      "repodata defaults noarch: downloaded (N ms)",
      "solved linux-64: 26 packages (N ms)",
    ]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /^linux-64: 26 conda packages, 0 pip packages\nwrote envforge\.lock \(envforge_[0-9a-f]{32}\) in [\d.]+ s\n$/,
    );
    const text = await readFile(join(work, "envforge.lock"), "utf8");

    const second = await envforge(["lock", "env.yml"]);
    expect(second.stdout).toMatch(/\nunchanged envforge\.lock /);
    expect(await readFile(join(work, "envforge.lock"), "utf8")).toBe(text);

    const check = await envforge(["lock", "env.yml", "--check"]);
    expect([check.code, check.stdout]).toEqual([0, "envforge.lock is up to date with env.yml\n"]);
  });

  it("--check fails once the definition changed, naming both hashes", async () => {
    await envforge(["lock", "env.yml"]);
    const locked = (await readFile(join(work, "envforge.lock"), "utf8")).match(
      /definitionHash: (\S+)/,
    )?.[1];
    await writeFile(join(work, "changed.yml"), `${ENV_YML}  - pytz\n`);
    const check = await envforge(["lock", "changed.yml", "--check", "-o", "envforge.lock"]);
    const current = (await envforge(["lock", "changed.yml", "-o", "-"])).stdout.match(
      /definitionHash: (\S+)/,
    )?.[1];
    expect(current).not.toBe(locked);
    expect([check.code, check.stderr]).toEqual([
      2,
      `envforge: envforge.lock: definitionHash: the lock was made from another definition (found ${locked}; allowed: ${current})\n`,
    ]);
  });

  it("exports an explicit spec and imports it back", async () => {
    const exported = await envforge(["lock", "env.yml", "--export", "explicit"]);
    expect(exported.code).toBe(0);
    const lines = exported.stdout.trimEnd().split("\n");
    expect(lines.slice(0, 5)).toEqual([
      "# This file may be used to create an environment using:",
      "# $ conda create --name <env> --file <this file>",
      "# platform: linux-64",
      expect.stringMatching(/^# envforge definition hash: envforge_[0-9a-f]{32}$/),
      "@EXPLICIT",
    ]);
    expect(lines.slice(5)).toHaveLength(26);
    for (const line of lines.slice(5)) {
      expect(line).toMatch(
        new RegExp(`^${server.url}/(linux-64|noarch)/\\S+\\.tar\\.bz2#sha256:[0-9a-f]{64}$`),
      );
    }
    await writeFile(join(work, "explicit.txt"), exported.stdout);
    const imported = await envforge([
      "lock",
      "env.yml",
      "--import",
      "explicit.txt",
      "-o",
      "imported.lock",
    ]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^linux-64: 26 conda packages/);
  });

  it("exits 2 with rattler's explanation for an unsolvable request", async () => {
    await writeFile(
      join(work, "bad.yml"),
      "channels: [defaults]\ndependencies: [python=3.6, numpy=99]\n",
    );
    const result = await envforge(["lock", "bad.yml"]);
    expect([result.code, withoutProgress(result.stderr)]).toEqual([
      2,
      "envforge: bad.yml: dependencies: cannot be solved for linux-64: No candidates were found for numpy 99.*.\n",
    ]);
  });

  it("exits 5 naming the channel when it cannot be reached", async () => {
    const gone = await startChannelServer({ root: channelDir });
    await gone.close();
    const result = await envforge(["lock", "env.yml", "-o", "gone.lock"], gone.url);
    expect([result.code, result.stderr]).toEqual([
      5,
      `envforge: channel "defaults" could not be reached at ${gone.url}/linux-64/repodata.json: ECONNREFUSED\n`,
    ]);
  });

  it("--offline locks from the repodata cache when the channel is gone", async () => {
    const channel = await startChannelServer({ root: channelDir });
    const online = await envforge(["lock", "env.yml", "-o", "online.lock"], channel.url);
    await channel.close();
    const offline = await envforge(
      ["lock", "env.yml", "-o", "offline.lock", "--offline"],
      channel.url,
    );
    expect([online.code, offline.code]).toEqual([0, 0]);
    expect(await readFile(join(work, "offline.lock"), "utf8")).toBe(
      await readFile(join(work, "online.lock"), "utf8"),
    );
  });
});
