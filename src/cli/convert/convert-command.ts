import type { Command } from "commander";
import { ValidationError, formatProblem } from "../../errors/index.js";
import { CONVERT_FORMATS, convertDefinition } from "../../host/convert-definition.js";
import type { ConvertFormat } from "../../host/convert-definition.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { addOutputOption, outputPath } from "../output-option.js";
import { addDefinitionOptions, readDefinitionInput, resolveFrom } from "../definition-input.js";
import type { DefinitionInputOptions } from "../definition-input.js";

interface ConvertCommandOptions extends DefinitionInputOptions {
  readonly to: string;
  readonly output?: string;
  readonly out?: string;
  readonly force?: boolean;
  readonly name?: string;
}

export function registerConvertCommand(program: Command, io: CliIo): void {
  addDefinitionOptions(
    addOutputOption(
      program
        .command("convert")
        .description("Write a definition in another format (envforge.yaml, Azure ML v1 or v2)")
        .argument("<file>", "definition file or folder")
        .requiredOption("--to <format>", `target format: ${CONVERT_FORMATS.join(", ")}`)
        .option(
          "--name <name>",
          "environment name to write (default: the file's, else the conda env's)",
        )
        .option("--force", "replace the output folder if it holds files"),
      "folder to write (new or empty; required)",
    ),
  )
    .addHelpText(
      "after",
      [
        "",
        "What the target format cannot hold (apt packages in Azure ML, a Dockerfile with a conda",
        "file in envforge.yaml, ...) is refused with the key that could not be written.",
        "",
        "Examples:",
        "  envforge convert environment.yml --to envforge --output env/",
        "  envforge convert envforge.yaml --to azureml-v2 --output aml-v2/",
        "  envforge convert azureml-folder/ --to envforge --output env/",
        "  envforge convert environment.yml --to azureml-v1 --output aml-v1/",
      ].join("\n"),
    )
    .action(async (file: string, options: ConvertCommandOptions) => {
      const format = parseFormat(options.to);
      const out = outputPath(io, options);
      const read = await readDefinitionInput(io, file, options);
      // Azure ML folders need a name; a conda file's own `name:` is the natural one.
      const name = options.name ?? read.name ?? read.conda?.name;
      const definition = name === undefined ? read : { ...read, name };
      const converted = await convertDefinition(definition, {
        format,
        out: resolveFrom(io, out),
        force: options.force === true,
      });
      if (options.json === true) {
        writeJson(io, { file, format, out, ...converted });
        return;
      }
      for (const warning of converted.warnings) {
        io.stderr.write(`warning: ${formatProblem(warning)}\n`);
      }
      writeLine(io, `wrote ${format} to ${out}: ${converted.files.join(", ")}`);
    });
}

function parseFormat(text: string): ConvertFormat {
  const format = CONVERT_FORMATS.find((candidate) => candidate === text);
  if (format === undefined) {
    throw ValidationError.single({
      key: "--to",
      message: "unknown format",
      found: JSON.stringify(text),
      allowed: CONVERT_FORMATS.join(", "),
    });
  }
  return format;
}
