/**
 * Help texts every command shares: the examples block each leaf command ends with, one way of
 * showing defaults, and the program's own epilogue (exit codes and environment variables, from
 * the tables that define them, so help cannot drift from what the program does).
 */
import { Help } from "commander";
import type { Command, HelpConfiguration, Option } from "commander";
import { ENVIRONMENT_REF_FORMS } from "../client/environment-ref.js";
import { CONFIG_FILE_VARIABLE, SETTINGS } from "../host/config-file.js";

/** How help names an environment argument. */
export const ENVIRONMENT_ARGUMENT = `${ENVIRONMENT_REF_FORMS}; NAME alone is the latest version`;

/** Adds the `Examples:` block to a leaf command's help. */
export function withExamples(command: Command, ...lines: readonly string[]): Command {
  return command.addHelpText(
    "after",
    `\nExamples:\n${lines.map((line) => `  ${line}`).join("\n")}`,
  );
}

/**
 * Commander appends `(default: …)` to an option that has a default value. Where the description
 * already says what the default is, or the default is the empty start of a repeatable option
 * (`[]`), that would say it twice or say nothing, so it is left out.
 */
function optionDescription(this: Help, option: Option): string {
  const value: unknown = option.defaultValue;
  const said = /\bdefault\b/i.test(option.description);
  const empty = Array.isArray(value) && value.length === 0;
  if (!said && !empty) return Help.prototype.optionDescription.call(this, option);
  const quiet: Option = Object.assign(
    Object.create(Object.getPrototypeOf(option) as object),
    option,
    {
      defaultValue: undefined,
      defaultValueDescription: undefined,
    },
  );
  return Help.prototype.optionDescription.call(this, quiet);
}

export const HELP_CONFIGURATION: HelpConfiguration = { optionDescription };

/**
 * The end of `envforge --help` after the exit codes (cli/exit-codes.ts): how an environment is
 * named, and every variable the program reads, from the settings table `config show` prints.
 */
export function programEpilogue(): string {
  const variables = [
    ...SETTINGS.map(({ variable, description }) => ({ variable, description })),
    {
      variable: CONFIG_FILE_VARIABLE,
      description: "the config file to read instead of the default one",
    },
    { variable: "ENVFORGE_DEBUG", description: "1: print the stack trace with an error" },
  ];
  const width = Math.max(...variables.map(({ variable }) => variable.length));
  return [
    "",
    `Environments are named ${ENVIRONMENT_REF_FORMS}; NAME alone is the latest version.`,
    "",
    "Environment variables (each also a key of the config file; `envforge config show` lists them",
    "with their values and where each came from):",
    ...variables.map(({ variable, description }) => `  ${variable.padEnd(width)}  ${description}`),
    "",
    "Shell completion: envforge completion bash|zsh|fish --help",
  ].join("\n");
}
