import type { Command } from "commander";
import { ValidationError, formatProblem, kindOf } from "../../errors/index.js";
import type { Problem } from "../../errors/index.js";
import { definitionHash } from "../../definition/definition-hash.js";
import type { CliIo } from "../context.js";
import { AlreadyReported, writeJson, writeLine } from "../context.js";
import { addDefinitionOptions, readDefinitionInput } from "../definition-input.js";
import type { DefinitionInputOptions } from "../definition-input.js";

interface FileReport {
  readonly file: string;
  readonly valid: boolean;
  readonly kind?: string;
  readonly definitionHash?: string;
  readonly problems: readonly Problem[];
  readonly warnings: readonly Problem[];
}

export function registerValidateCommand(program: Command, io: CliIo): void {
  addDefinitionOptions(
    program
      .command("validate")
      .description("Check definition files and report every problem in each, with file and line")
      .argument("<files...>", "definition files or folders"),
  )
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  envforge validate environment.yml",
        "  envforge validate envforge.yaml requirements.txt azureml-folder/",
        "  envforge validate environment.yml --json",
        "",
        "Exit code 0 when every file is valid, 2 when any is not.",
      ].join("\n"),
    )
    .action(async (files: string[], options: DefinitionInputOptions) => {
      const reports: FileReport[] = [];
      for (const file of files) reports.push(await validateOne(io, file, options));
      if (options.json === true) writeJson(io, { valid: reports.every((r) => r.valid), reports });
      else for (const report of reports) printReport(io, report);
      const invalid = reports.filter((report) => !report.valid);
      if (invalid.length > 0) {
        throw new AlreadyReported(
          new ValidationError(invalid.flatMap((report) => report.problems)),
        );
      }
    });
}

async function validateOne(
  io: CliIo,
  file: string,
  options: DefinitionInputOptions,
): Promise<FileReport> {
  const warnings: Problem[] = [];
  try {
    const definition = await readDefinitionInput(io, file, { ...options, json: true }, warnings);
    return {
      file,
      valid: true,
      kind: definition.kind,
      definitionHash: definitionHash(definition),
      problems: [],
      warnings,
    };
  } catch (error) {
    if (kindOf(error) !== "validation" || !(error instanceof ValidationError)) throw error;
    return { file, valid: false, problems: error.problems, warnings };
  }
}

function printReport(io: CliIo, report: FileReport): void {
  if (report.valid) {
    writeLine(io, `ok ${report.file} (${report.kind}, ${report.definitionHash})`);
  } else {
    const count = report.problems.length;
    writeLine(io, `invalid ${report.file}: ${count} problem${count === 1 ? "" : "s"}`);
    for (const problem of report.problems) writeLine(io, `  ${formatProblem(problem)}`);
  }
  for (const warning of report.warnings) writeLine(io, `  warning: ${formatProblem(warning)}`);
}
