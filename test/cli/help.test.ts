/**
 * Help that explains: every leaf command ends with examples, no option says its default twice,
 * top-level help lists the environment variables (from the settings table, so it cannot drift)
 * next to the exit codes, and `envforge completion bash` gives a script that a real bash runs
 * to complete commands and options from the command tree.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/commands.js";
import { HELP_CONFIGURATION } from "../../src/cli/help.js";
import { CONFIG_FILE_VARIABLE, SETTINGS } from "../../src/host/config-file.js";
import { readConfig } from "../../src/host/config.js";
import { cli } from "../support/run-cli.js";
import { PassThrough } from "node:stream";

const repo = resolve(import.meta.dirname, "../..");

/** The whole command tree, as `envforge --help` loads it. */
async function tree(): Promise<Command> {
  const io = {
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    env: {},
    cwd: "/",
    config: readConfig({}),
  };
  const program = new Command("envforge").configureHelp(HELP_CONFIGURATION);
  for (const entry of COMMANDS) (await entry.load())(program, io);
  return program;
}

function leaves(command: Command, path: readonly string[] = []): [string, Command][] {
  const visible = command.commands.filter((child) => child.name() !== "completion-server");
  if (visible.length === 0) return [[path.join(" "), command]];
  return visible.flatMap((child) => leaves(child, [...path, child.name()]));
}

const program = await tree();
const LEAVES = leaves(program);

describe("help", () => {
  it("finds the commands it checks", () => {
    expect(LEAVES.length).toBeGreaterThan(30);
    expect(LEAVES.map(([path]) => path)).toEqual(
      expect.arrayContaining(["env show", "env build", "run", "job logs", "completion"]),
    );
  });

  it.each(LEAVES.map(([path]) => [path]))("envforge %s --help ends with examples", async (path) => {
    const result = await cli([...path.split(" "), "--help"]);
    expect(result.code).toBe(0);
    const examples = result.stdout.split("\nExamples:\n")[1];
    expect(examples, `${path} has no Examples: block`).toBeDefined();
    const first = examples?.split("\n")[0] ?? "";
    // An example is a command line of this very command (maybe after VARIABLE=value).
    expect(first.trim()).toMatch(new RegExp(`^(\\S+=\\S+ )*envforge ${path}\\b`));
  });

  it.each(LEAVES)("envforge %s says each default once", (_path, command) => {
    const help = command.createHelp();
    for (const option of command.options) {
      const text = help.optionDescription(option);
      const said = (text.match(/\(default\b|(?<!\()default:/g) ?? []).length;
      expect(said, `${option.flags}: ${text}`).toBeLessThanOrEqual(1);
    }
  });

  it("top-level help lists exit codes, every environment variable and completion", async () => {
    const result = await cli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("\nExit codes:\n");
    const variables = result.stdout.split("\nEnvironment variables")[1] ?? "";
    for (const setting of SETTINGS) {
      expect(variables).toMatch(
        new RegExp(`^  ${setting.variable} +${escape(setting.description)}$`, "m"),
      );
    }
    expect(variables).toMatch(new RegExp(`^  ${CONFIG_FILE_VARIABLE} `, "m"));
    expect(result.stdout).toMatch(
      /^ {2}completion \[?.*<shell> +Print the shell completion script/m,
    );
    expect(result.stdout).toContain(
      "NAME@VERSION (e.g. pytorch@3) or NAME:LABEL (e.g. pytorch:prod)",
    );
    expect(result.stdout).not.toContain("completion-server");
  });
});

describe("envforge completion", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "envforge-completion-"));
    // `envforge` on PATH, as the completion script calls it.
    const shim = join(dir, "envforge");
    writeFileSync(
      shim,
      `#!/bin/sh\nexec ${join(repo, "node_modules/.bin/tsx")} ${join(repo, "src/cli/main.ts")} "$@"\n`,
    );
    chmodSync(shim, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(["bash", "zsh", "fish"])("prints a %s script", async (shell) => {
    const result = await cli(["completion", shell]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("###-begin-envforge-completion-###");
    expect(result.stdout).toContain("envforge completion-server");
  });

  it("refuses a shell it has no script for", async () => {
    const result = await cli(["completion", "tcsh"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'envforge: shell: no completion for this shell (found "tcsh"; allowed: bash, zsh, fish)\n',
    );
  });

  it("completes subcommands and options in a real bash", async () => {
    const script = (await cli(["completion", "bash"])).stdout;
    writeFileSync(join(dir, "completion.bash"), script);
    const complete = (line: string): string[] => {
      const words = line.split(" ");
      const program = [
        `source ${join(dir, "completion.bash")}`,
        `COMP_WORDS=(${words.map((word) => `'${word}'`).join(" ")})`,
        `COMP_CWORD=${words.length - 1}`,
        `COMP_LINE='${line}'`,
        `COMP_POINT=${line.length}`,
        "_envforge_completion",
        'printf "%s\\n" "${COMPREPLY[@]}"',
      ].join("\n");
      return execFileSync("bash", ["-c", program], {
        env: { PATH: `${dir}:${process.env.PATH ?? ""}`, HOME: dir },
        encoding: "utf8",
      })
        .split("\n")
        .filter((word) => word !== "");
    };
    expect(complete("envforge env sh")).toEqual(["show"]);
    expect(complete("envforge env show --doc")).toEqual(["--dockerfile"]);
    expect(complete("envforge comp")).toEqual(["completion"]);
    expect(complete("envforge run --ser")).toEqual(["--server"]);
  }, 60_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
