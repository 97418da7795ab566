/**
 * Output a script reads (issue 9, point 6), against the real Docker engine and SQLite:
 * - every leaf command takes `--json`, and what it prints parses: one JSON document, or NDJSON
 *   (one object a line) for the streams (`build logs`, `job logs`, `run`, `worker`); a command
 *   added without a row here fails the coverage check;
 * - a reader that closes the pipe after one line (`envforge build logs ID | head -1`) ends the
 *   real CLI quietly: exit 0, no stack trace.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/commands.js";
import type { CliIo } from "../../src/cli/context.js";
import { readConfig } from "../../src/host/config.js";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import { withLoopbackDefaults } from "../support/loopback-defaults.js";
import { BASE_IMAGE } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const REPO = resolve(import.meta.dirname, "../..");
const MAIN = join(REPO, "src/cli/main.ts");
const docker = dockerClient();
const gate = engineGate("Docker engine", await dockerProblem(docker));

/** Every leaf command's words, e.g. `env build`, from the real command tree. */
async function leafCommands(): Promise<string[]> {
  const program = new Command("envforge");
  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: {},
    cwd: REPO,
    config: readConfig(withLoopbackDefaults()),
  };
  for (const entry of COMMANDS) (await entry.load())(program, io);
  const leaves: string[] = [];
  const walk = (command: Command, words: readonly string[]): void => {
    if (command.commands.length === 0 && words.length > 0) leaves.push(words.join(" "));
    for (const sub of command.commands) walk(sub, [...words, sub.name()]);
  };
  walk(program, []);
  return leaves.filter((leaf) => leaf !== "help");
}

/** Parses `text` as one JSON document or as NDJSON; fails the test on anything else. */
function parsed(kind: "json" | "ndjson", text: string): unknown[] {
  expect(text.trim(), "nothing on stdout").not.toBe("");
  if (kind === "json") return [JSON.parse(text)];
  const lines = text.trimEnd().split("\n");
  return lines.map((line) => JSON.parse(line) as unknown);
}

/** Spawns the real CLI and hands its stdout lines to `take`, which says when it has enough. */
function firstLines(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  count: number,
): Promise<{ lines: string[]; code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...argv], {
      cwd: REPO,
      env: { PATH: process.env.PATH, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const reader = createInterface({ input: child.stdout });
    reader.on("line", (line) => {
      // Lines already buffered still arrive after the close: keep only the first `count`.
      if (lines.length >= count) return;
      lines.push(line);
      // As `head -N` does: close the pipe once it has what it wants.
      if (lines.length === count) {
        reader.close();
        child.stdout.destroy();
        if (argv.includes("serve") || argv.includes("worker")) child.kill("SIGTERM");
      }
    });
    child.on("error", fail);
    child.on("close", (code) => done({ lines, code, stderr }));
  });
}

describe.skipIf(gate.skip)("output for scripts", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let file: string;
  let buildId = "";
  let jobId = "";
  let tokenId = "";
  const images: string[] = [];
  const marker = randomBytes(4).toString("hex");

  beforeAll(async () => {
    gate.require();
    dir = mkdtempSync(join(tmpdir(), "envforge-json-"));
    env = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "none.yaml"),
      HOME: dir,
    };
    mkdirSync(join(dir, "v1"));
    mkdirSync(join(dir, "v2"));
    file = join(dir, "v1", "Dockerfile");
    // A log far over a pipe's buffer (64 KiB, about 2 MB here), so the CLI is still writing
    // when the reader closes the pipe.
    writeFileSync(file, `FROM ${BASE_IMAGE}\nRUN echo json-${marker} && seq 1 300000\n`);
    writeFileSync(join(dir, "v2", "Dockerfile"), `FROM ${BASE_IMAGE}\nRUN echo v2-${marker}\n`);
    const first = await cli(["env", "create", "-f", file, "-n", "jsonout"], { env });
    expect(first.code, first.stderr).toBe(0);
    const built = await cli(["env", "build", "jsonout", "--json"], { env });
    expect(built.code, built.stderr).toBe(0);
    const build = JSON.parse(built.stdout) as { id: string; image: { name: string } };
    buildId = build.id;
    images.push(build.image.name);
  }, 300_000);
  afterAll(async () => {
    for (const image of images) await removeImage(docker, image).catch(() => undefined);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** [words, arguments, output kind, exit code]; order matters: later rows use earlier ones. */
  const rows: [string, () => string[], "json" | "ndjson", number][] = [
    ["validate", () => [file], "json", 0],
    ["hash", () => [file], "json", 0],
    ["dockerfile", () => [file], "json", 0],
    ["ingredients", () => [file, "-o", join(dir, "ingredients")], "json", 0],
    ["convert", () => [file, "--to", "azureml-v2", "-o", join(dir, "converted")], "json", 0],
    ["lock", () => [file, "-o", join(dir, "envforge.lock")], "json", 0],
    ["install", () => [join(dir, "envforge.lock"), "--prefix", join(dir, "prefix")], "json", 0],
    ["env create", () => ["-f", join(dir, "v2", "Dockerfile"), "-n", "jsonout"], "json", 0],
    ["env list", () => [], "json", 0],
    ["env show", () => ["jsonout@1"], "json", 0],
    ["env versions", () => ["jsonout"], "json", 0],
    // Exit 1: the versions differ (diff's own contract).
    ["env diff", () => ["jsonout@1", "jsonout@2"], "json", 1],
    ["env label", () => ["jsonout@1", "prod"], "json", 0],
    ["env update", () => ["jsonout@1", "-d", "for scripts"], "json", 0],
    ["env archive", () => ["jsonout@2"], "json", 0],
    ["env restore", () => ["jsonout@2"], "json", 0],
    ["env build", () => ["jsonout:prod"], "json", 0],
    // A Docker-builder (or local-engine) image carries no SBOM: the error as JSON, exit 3.
    ["sbom", () => ["jsonout:prod"], "json", 3],
    ["build list", () => [], "json", 0],
    ["build show", () => [buildId], "json", 0],
    ["build logs", () => [buildId], "ndjson", 0],
    ["build cancel", () => [buildId], "json", 0],
    ["run", () => ["jsonout@1", "--", "echo", marker], "ndjson", 0],
    ["job list", () => [], "json", 0],
    ["job show", () => [jobId], "json", 0],
    ["job logs", () => [jobId], "ndjson", 0],
    ["workspace create", () => ["other"], "json", 0],
    ["workspace list", () => [], "json", 0],
    ["workspace show", () => ["default"], "json", 0],
    ["token create", () => ["-n", "ci"], "json", 0],
    ["token list", () => [], "json", 0],
    ["token revoke", () => [tokenId], "json", 0],
    ["config show", () => [], "json", 0],
    ["completion", () => ["bash"], "json", 0],
    ["gc", () => ["--dry-run"], "json", 0],
  ];
  /** Long-running commands: their first NDJSON/JSON line, read from the real CLI. */
  const servers: [string, string[]][] = [
    ["serve", ["serve", "--port", "0", "--json"]],
    ["worker", ["worker", "--json"]],
  ];

  /** Hidden commands that speak another protocol, with the reason. */
  const exempt: Record<string, string> = {
    "completion-server": "the shell's completion protocol (hidden from help)",
  };

  it("has a row for every leaf command", async () => {
    const covered = new Set([
      ...rows.map(([words]) => words),
      ...servers.map(([words]) => words),
      ...Object.keys(exempt),
    ]);
    expect((await leafCommands()).filter((leaf) => !covered.has(leaf))).toEqual([]);
  });

  it("prints JSON (or NDJSON for streams) for every command with --json", async () => {
    for (const [words, args, kind, code] of rows) {
      // --json before the arguments: after `--` it would be run's command's.
      const result = await cli([...words.split(" "), "--json", ...args()], { env });
      expect(result.code, `${words}: ${result.stderr}${result.stdout}`).toBe(code);
      const values = parsed(kind, result.stdout);
      if (words === "run") {
        const job = values.find(
          (value): value is { event: string; job: { id: string } } =>
            typeof value === "object" && value !== null && "job" in value,
        );
        jobId = job?.job.id ?? "";
        expect(values).toContainEqual({ event: "output", stream: "stdout", text: `${marker}\n` });
      }
      if (words === "token create") tokenId = (values[0] as { token: { id: string } }).token.id;
      if (words === "build logs") {
        expect(values.length).toBeGreaterThan(10);
        expect(values[0]).toMatchObject({ event: "log", seq: 1, stream: "envforge" });
      }
    }
  }, 300_000);

  it("gives an error as the one error object under --json", async () => {
    const result = await cli(["build", "show", "no-such-build", "--json"], { env });
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({
      type: "urn:envforge:problem:not-found",
      error: "not-found",
      status: 404,
      exitCode: 3,
    });
  });

  it.each(servers)(
    "%s --json starts with one JSON line",
    async (_words, argv) => {
      const { lines, stderr } = await firstLines(argv, withLoopbackDefaults(env), 1);
      expect(lines.length, stderr).toBe(1);
      expect(JSON.parse(lines[0] ?? "")).toBeTypeOf("object");
    },
    60_000,
  );

  it("ends quietly when the reader closes the pipe (build logs ID | head -1)", async () => {
    const { lines, code, stderr } = await firstLines(
      ["build", "logs", buildId],
      withLoopbackDefaults(env),
      1,
    );
    expect(lines).toHaveLength(1);
    expect(stderr).not.toMatch(/EPIPE|^\s+at /m);
    expect(code).toBe(0);
  }, 60_000);
});
