import type { Command } from "commander";
import type { CliIo } from "../context.js";
import { writeJson } from "../context.js";
import { addDefinitionOptions } from "../definition-input.js";
import type { DefinitionInputOptions } from "../definition-input.js";
import { readRecipe } from "../recipe-input.js";

export function registerDockerfileCommand(program: Command, io: CliIo): void {
  addDefinitionOptions(
    program
      .command("dockerfile")
      .description("Print the Dockerfile envforge generates for a definition")
      .argument("<file>", "definition file or folder")
      .option("--lock <file>", "envforge.lock to build from (conda layers per package group)"),
  )
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  envforge dockerfile environment.yml",
        "  envforge dockerfile environment.yml --lock envforge.lock",
        "  envforge dockerfile envforge.yaml --json   # the Dockerfile with its hashes",
      ].join("\n"),
    )
    .action(async (file: string, options: DefinitionInputOptions & { lock?: string }) => {
      const { recipe } = await readRecipe(io, file, options);
      if (options.json === true) {
        writeJson(io, {
          file,
          definitionHash: recipe.definitionHash,
          imageHash: recipe.imageHash,
          dockerfile: recipe.dockerfile,
        });
      } else {
        io.stdout.write(recipe.dockerfile);
      }
    });
}
