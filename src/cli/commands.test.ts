import { PassThrough } from "node:stream";
import { readConfig } from "../host/config.js";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { COMMANDS, commandsFor } from "./commands.js";

const stdout = new PassThrough();
const stderr = new PassThrough();

const names = (argv: readonly string[]): string[] =>
  commandsFor(argv).map((entry) => entry.names.join("+"));

describe("commandsFor", () => {
  it.each([
    [["hash", "env.yml"], ["hash"]],
    [
      ["env", "list", "--json"],
      ["env", "build+env"],
    ],
    [["env", "build", "pytorch"], ["build+env"]],
    [["env", "build", "pytorch@3", "--json"], ["build+env"]],
    [
      ["env", "create", "-f", "env.yml"],
      ["env", "build+env"],
    ],
    [
      ["env", "--help"],
      ["env", "build+env"],
    ],
    [
      ["env", "-h", "build"],
      ["env", "build+env"],
    ],
    [
      ["env", "bild"],
      ["env", "build+env"],
    ],
    [["build", "show", "abc"], ["build+env"]],
    [["run", "pytorch", "--", "python", "-c", "0"], ["run"]],
  ])("%j loads only the command it names", (argv, expected) => {
    expect(names(argv)).toEqual(expected);
  });

  it.each([[[]], [["--help"]], [["-h", "env"]], [["help", "env"]], [["envv"]]])(
    "%j loads every command (help, or a usage error that suggests a name)",
    (argv) => {
      expect(commandsFor(argv)).toBe(COMMANDS);
    },
  );

  it("an entry that adds subcommands to a group adds exactly those", async () => {
    for (const entry of COMMANDS) {
      for (const [group, subcommands] of Object.entries(entry.adds ?? {})) {
        const program = new Command("envforge");
        (await entry.load())(program, {
          stdout,
          stderr,
          env: {},
          cwd: "/",
          config: readConfig({}),
        });
        const added = program.commands.find((command) => command.name() === group);
        expect(added?.commands.map((command) => command.name()).sort()).toEqual(
          [...subcommands].sort(),
        );
      }
    }
  });

  it("each entry adds exactly the top-level commands it names", async () => {
    for (const entry of COMMANDS) {
      const program = new Command("envforge");
      (await entry.load())(program, { stdout, stderr, env: {}, cwd: "/", config: readConfig({}) });
      expect(program.commands.map((command) => command.name()).sort()).toEqual(
        [...entry.names].sort(),
      );
    }
  });
});
