import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { formatLockFile } from "../../src/conda/lock-file.js";
import { runCli } from "../../src/cli/run-cli.js";
import { withLoopbackDefaults } from "../support/loopback-defaults.js";
import { addToChannel, CONDA_PACKAGES, lockOf, channelPerTest } from "./channel-folder.js";

const channel = channelPerTest();

async function run(
  args: readonly string[],
  terminal: { readonly isTTY?: boolean; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  // A terminal's stderr, as a TTY stream says it is one (isTTY) and how wide it is.
  const stderr = Object.assign(new PassThrough(), {
    isTTY: terminal.isTTY === true,
    columns: 120,
  });
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(args, {
    stdout,
    stderr,
    env: withLoopbackDefaults({ ENVFORGE_HOME: join(channel.dirs.root, "home"), ...terminal.env }),
    cwd: channel.dirs.root,
  });
  return { code, stdout: out, stderr: err };
}

async function writeLock(sha256?: string): Promise<string> {
  const conda = await addToChannel(channel.dirs.channel, channel.server.url, [
    {
      path: join(CONDA_PACKAGES, "zlib-1.2.11-h7b6447c_3.conda"),
      subdir: "linux-64",
      depends: ["libgcc-ng >=7.3.0"],
    },
  ]);
  const lock = lockOf(conda.map((pkg) => (sha256 === undefined ? pkg : { ...pkg, sha256 })));
  const path = join(channel.dirs.root, "envforge.lock");
  await writeFile(path, formatLockFile(lock));
  return path;
}

describe("envforge install", () => {
  it("on a terminal, draws download, extraction and linking with the lock's totals, in colour unless NO_COLOR", async () => {
    const lockPath = await writeLock();
    const lock = await readFile(lockPath, "utf8");
    const size = Number(/size: (\d+)/.exec(lock)?.[1]);
    expect(size).toBeGreaterThan(0);
    const shown = `${(size / 1000).toFixed(1)} kB of ${(size / 1000).toFixed(1)} kB`;

    const drawn = await run(["install", "envforge.lock", "--prefix", "env"], { isTTY: true });
    expect(drawn.code, drawn.stderr).toBe(0);
    expect(drawn.stderr).toContain(`download`);
    expect(drawn.stderr).toContain(shown);
    expect(drawn.stderr).toMatch(/extract .* 100% 1 of 1 packages/);
    expect(drawn.stderr).toMatch(/link .* 100% 1 of 1 packages/);
    // eslint-disable-next-line no-control-regex
    expect(drawn.stderr).toMatch(/\u001b\[36m/);

    const plain = await run(["install", "envforge.lock", "--prefix", "env2"], {
      isTTY: true,
      env: { NO_COLOR: "1" },
    });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(/link .* 100% 1 of 1 packages/);
    // eslint-disable-next-line no-control-regex
    expect(plain.stderr).not.toMatch(/\u001b\[3\dm/);
  });

  it("installs a lock file and prints a JSON summary", async () => {
    await writeLock();
    const result = await run([
      "install",
      "envforge.lock",
      "--prefix",
      "env",
      "--target-prefix",
      "/opt/envforge/envs/cli",
      "--json",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      prefix: join(channel.dirs.root, "env"),
      targetPrefix: "/opt/envforge/envs/cli",
      platform: "linux-64",
      packages: [{ name: "zlib", version: "1.2.11", build: "h7b6447c_3", fetched: true }],
      downloaded: 1,
      clobbers: [],
    });
    expect(await readFile(join(channel.dirs.root, "env/lib/pkgconfig/zlib.pc"), "utf8")).toContain(
      "prefix=/opt/envforge/envs/cli\n",
    );

    const again = await run(["install", "envforge.lock", "--prefix", "env2"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      new RegExp(
        `^installed 1 packages into ${join(channel.dirs.root, "env2")} \\(0 downloaded, 1 from the cache\\) in [0-9.]+ s\\n$`,
      ),
    );
  });

  it("exits 5 naming the package when a download does not match its sha256", async () => {
    await writeLock("f".repeat(64));
    const result = await run(["install", "envforge.lock", "--prefix", "env"]);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(
      /^envforge: zlib-1\.2\.11-h7b6447c_3\.conda: sha256 mismatch \(expected f{64}, got [0-9a-f]{64}\)\n$/,
    );
  });

  it("exits 3 when the lock file is missing", async () => {
    const result = await run(["install", "missing.lock", "--prefix", "env"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      "envforge: missing.lock does not exist; make it with `envforge lock`\n",
    );
  });
});
