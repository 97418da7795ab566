// `envforge lock` run in-process against defaults-2018 served on 127.0.0.1.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChannelServer } from "../../src/conda/channel-server.js";
import type { ChannelServer } from "../../src/conda/channel-server.js";
import { parseLockFile } from "../../src/conda/lock-file.js";
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

  it("--check names each spec added, removed or changed since the lock was made", async () => {
    await envforge(["lock", "env.yml"]);
    await writeFile(
      join(work, "changed.yml"),
      ENV_YML.replace("  - numpy\n", "  - numpy >=1.14\n").replace("  - scipy\n", "") +
        "  - pytz\n",
    );
    const check = await envforge(["lock", "changed.yml", "--check", "-o", "envforge.lock"]);
    const because = "envforge.lock: resolvedFrom: the lock was resolved from another definition";
    expect([check.code, check.stderr]).toEqual([
      2,
      [
        `envforge: ${because}: conda spec changed: numpy -> numpy >=1.14`,
        `${because}: conda spec added: pytz`,
        `${because}: conda spec removed: scipy`,
        "",
      ].join("\n"),
    ]);
  });

  it("keeps the lock when only variables change, and --check still passes", async () => {
    await envforge(["lock", "env.yml"]);
    const before = await readFile(join(work, "envforge.lock"), "utf8");
    expect(before).toMatch(/^version: 2\nresolutionHash: envforge_[0-9a-f]{32}\n/m);
    expect(before).not.toMatch(/definitionHash/);
    await writeFile(join(work, "vars.yml"), `${ENV_YML}variables:\n  MODE: train\n`);
    const check = await envforge(["lock", "vars.yml", "--check", "-o", "envforge.lock"]);
    expect([check.code, check.stdout]).toEqual([0, "envforge.lock is up to date with vars.yml\n"]);
    const again = await envforge(["lock", "vars.yml", "-o", "envforge.lock"]);
    expect(again.stdout).toMatch(/\nunchanged envforge\.lock /);
    expect(await readFile(join(work, "envforge.lock"), "utf8")).toBe(before);
    // A variable that describes the target (a virtual package) does change resolution.
    await writeFile(
      join(work, "glibc.yml"),
      `${ENV_YML}variables:\n  CONDA_OVERRIDE_GLIBC: "2.17"\n`,
    );
    const glibc = await envforge(["lock", "glibc.yml", "--check", "-o", "envforge.lock"]);
    expect([glibc.code, glibc.stderr]).toEqual([
      2,
      "envforge: envforge.lock: resolvedFrom: the lock was resolved from another definition: CONDA_OVERRIDE_GLIBC changed: unset -> 2.17\n",
    ]);
  });

  it("exports the existing lock without solving, from the definition or from envforge.lock", async () => {
    await envforge(["lock", "env.yml"]);
    const lockText = await readFile(join(work, "envforge.lock"), "utf8");
    const fromDefinition = await envforge(["lock", "env.yml", "--export", "explicit"]);
    const fromLock = await envforge(["lock", "envforge.lock", "--export", "explicit"]);
    expect([fromDefinition.code, fromLock.code]).toEqual([0, 0]);
    // No repodata was read and nothing solved: the lock there was converted.
    expect([fromDefinition.stderr, fromLock.stderr]).toEqual(["", ""]);
    expect(fromLock.stdout).toBe(fromDefinition.stdout);
    const urls = [...lockText.matchAll(/^ {8}url: (\S+)\n {8}sha256: (\S+)$/gm)].map(
      (m) => `${m[1]}#sha256:${m[2]}`,
    );
    expect(urls).toHaveLength(26);
    expect(fromLock.stdout.trimEnd().split("\n").slice(5).sort()).toEqual(urls.sort());
    const bare = await envforge(["lock", "envforge.lock"]);
    expect([bare.code, bare.stderr]).toEqual([
      2,
      "envforge: envforge.lock: a lock file is exported, not locked: add --export (allowed: --export explicit, --export conda-lock, --export pixi)\n",
    ]);
  });

  it("explicit -> envforge.lock -> conda-lock -> envforge.lock keeps every package, URL and sha256", async () => {
    await envforge(["lock", "env.yml", "-o", "solved.lock"]);
    const explicit = await envforge(["lock", "solved.lock", "--export", "explicit"]);
    await writeFile(join(work, "trip-explicit.txt"), explicit.stdout);
    const first = await envforge([
      "lock",
      "env.yml",
      "--import",
      "trip-explicit.txt",
      "-o",
      "trip-1.lock",
    ]);
    const condaLock = await envforge(["lock", "trip-1.lock", "--export", "conda-lock"]);
    expect([first.code, condaLock.code]).toEqual([0, 0]);
    expect(condaLock.stdout).toMatch(/\nversion: 1\nmetadata:\n/);
    await writeFile(join(work, "trip-conda-lock.yml"), condaLock.stdout);
    const second = await envforge([
      "lock",
      "env.yml",
      "--import",
      "trip-conda-lock.yml",
      "-o",
      "trip-2.lock",
    ]);
    expect(second.code).toBe(0);
    const packages = async (file: string) =>
      [
        ...(await readFile(join(work, file), "utf8")).matchAll(
          /^ {6}- name: (\S+)\n {8}version: (\S+)\n(?: {8}.*\n)*? {8}url: (\S+)\n {8}sha256: (\S+)$/gm,
        ),
      ].map((m) => m.slice(1).join(" "));
    const solved = await packages("solved.lock");
    expect(solved).toHaveLength(26);
    expect(await packages("trip-1.lock")).toEqual(solved);
    expect(await packages("trip-2.lock")).toEqual(solved);
    // Each imported lock is keyed by the definition, so it stands for it.
    const check = await envforge(["lock", "env.yml", "--check", "-o", "trip-2.lock"]);
    expect(check.code).toBe(0);
  });

  it("envforge.lock -> pixi.lock -> envforge.lock keeps every package, URL, sha256, md5 and dependency", async () => {
    await envforge(["lock", "env.yml", "-o", "pixi-solved.lock"]);
    const pixi = await envforge(["lock", "pixi-solved.lock", "--export", "pixi"]);
    expect([pixi.code, pixi.stderr]).toEqual([0, ""]);
    expect(pixi.stdout).toMatch(/\nversion: 6\nenvironments:\n {2}default:\n {4}channels:\n/);
    await writeFile(join(work, "pixi.lock"), pixi.stdout);
    const back = await envforge([
      "lock",
      "env.yml",
      "--import",
      "pixi.lock",
      "-o",
      "pixi-back.lock",
    ]);
    expect(back.code, back.stderr).toBe(0);
    const solved = parseLockFile(await readFile(join(work, "pixi-solved.lock"), "utf8"));
    const imported = parseLockFile(await readFile(join(work, "pixi-back.lock"), "utf8"));
    const fields = (lock: typeof solved) =>
      lock.platforms.flatMap((p) =>
        p.conda.map((c) =>
          [
            p.platform,
            c.name,
            c.version,
            c.build,
            c.buildNumber,
            c.url,
            c.sha256,
            c.md5,
            c.depends.join(";"),
          ].join(" "),
        ),
      );
    expect(fields(solved)).toHaveLength(26);
    expect(fields(imported)).toEqual(fields(solved));
    const check = await envforge(["lock", "env.yml", "--check", "-o", "pixi-back.lock"]);
    expect(check.code).toBe(0);
  });

  it("exports an explicit spec and imports it back", async () => {
    const exported = await envforge(["lock", "env.yml", "--export", "explicit"]);
    expect(exported.code).toBe(0);
    const lines = exported.stdout.trimEnd().split("\n");
    expect(lines.slice(0, 5)).toEqual([
      "# This file may be used to create an environment using:",
      "# $ conda create --name <env> --file <this file>",
      "# platform: linux-64",
      expect.stringMatching(/^# envforge resolution hash: envforge_[0-9a-f]{32}$/),
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

  it("--update re-resolves the named packages and keeps the rest pinned", async () => {
    const pinned = "channels: [defaults]\ndependencies: [python=3.6, numpy=1.13, pytz=2017.2]\n";
    const loose = "channels: [defaults]\ndependencies: [python=3.6, numpy, pytz]\n";
    await writeFile(join(work, "pinned.yml"), pinned);
    await writeFile(join(work, "loose.yml"), loose);
    const versions = async (file: string) => {
      const text = await readFile(join(work, file), "utf8");
      const of = (name: string) =>
        new RegExp(`^ {6}- name: ${name}\\n {8}version: "?([^"\\n]+)"?$`, "m").exec(text)?.[1];
      return { numpy: of("numpy"), pytz: of("pytz"), python: of("python") };
    };
    expect((await envforge(["lock", "pinned.yml", "-o", "update.lock"])).code).toBe(0);
    const before = await versions("update.lock");
    expect(before).toMatchObject({ numpy: "1.13.3", pytz: "2017.2" });

    const one = await envforge(["lock", "loose.yml", "-o", "update.lock", "--update", "pytz"]);
    expect(one.code, one.stderr).toBe(0);
    // pytz moves to the newest; numpy and python stay as the lock had them.
    expect(await versions("update.lock")).toEqual({ ...before, pytz: "2018.5" });

    const fresh = await envforge(["lock", "loose.yml", "-o", "-"]);
    expect(fresh.stdout).toMatch(/- name: numpy\n {8}version: 1\.15\.0\n/);

    const unknown = await envforge(["lock", "loose.yml", "-o", "update.lock", "--update", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^envforge: update\.lock: --update: no conda package of this name is in the lock \(found nope; allowed: .*numpy.*\)\n$/,
    );
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
