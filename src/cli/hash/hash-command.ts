import type { Command } from "commander";
import { canonicalDefinition, definitionHash } from "../../definition/definition-hash.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { addDefinitionOptions, readDefinitionInput } from "../definition-input.js";
import type { DefinitionInputOptions } from "../definition-input.js";

export function registerHashCommand(program: Command, io: CliIo): void {
  addDefinitionOptions(
    program
      .command("hash")
      .description("Print the definition hash (envforge_<32 hex>) that names the environment")
      .argument("<file>", "definition file or folder"),
  )
    .addHelpText(
      "after",
      [
        "",
        "The hash covers only what changes the image: reordering dependencies, comments, the",
        "name, version, description and tags never change it (docs/hashing.md says exactly what).",
        "",
        "Examples:",
        "  envforge hash environment.yml",
        "  envforge hash envforge.yaml --json     # also prints the canonical document hashed",
      ].join("\n"),
    )
    .action(async (file: string, options: DefinitionInputOptions) => {
      const definition = await readDefinitionInput(io, file, options);
      const hash = definitionHash(definition);
      if (options.json === true) {
        writeJson(io, { file, definitionHash: hash, canonical: canonicalDefinition(definition) });
      } else {
        writeLine(io, hash);
      }
    });
}
