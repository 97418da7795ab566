import type { Command } from "commander";
import { writeIngredients } from "../../host/write-ingredients.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { addOutputOption, outputPath } from "../output-option.js";
import { addDefinitionOptions, resolveFrom } from "../definition-input.js";
import type { DefinitionInputOptions } from "../definition-input.js";
import { readRecipe } from "../recipe-input.js";

interface IngredientsOptions extends DefinitionInputOptions {
  readonly output?: string;
  readonly out?: string;
  readonly lock?: string;
  readonly force?: boolean;
}

export function registerIngredientsCommand(program: Command, io: CliIo): void {
  addDefinitionOptions(
    addOutputOption(
      program
        .command("ingredients")
        .description(
          "Write everything an image build uses: the Dockerfile, conda spec, pip requirements and build context",
        )
        .argument("<file>", "definition file or folder")
        .option("--lock <file>", "envforge.lock to build from")
        .option("--force", "replace the output folder if it holds files"),
      "folder to write (created; must be new or empty; required)",
    ),
  )
    .addHelpText(
      "after",
      [
        "",
        "The folder is a complete docker build context: `docker build -f envforge/Dockerfile DIR`",
        "once the conda prefix folders listed in envforge/ingredients.json are filled (envforge",
        "install does that from the lock).",
        "",
        "Examples:",
        "  envforge ingredients environment.yml --output build/",
        "  envforge ingredients envforge.yaml --lock envforge.lock --output build/ --force",
      ].join("\n"),
    )
    .action(async (file: string, options: IngredientsOptions) => {
      const out = outputPath(io, options);
      const { definition, recipe } = await readRecipe(io, file, options);
      const written = await writeIngredients(recipe, definition, resolveFrom(io, out), {
        force: options.force === true,
      });
      if (options.json === true) {
        writeJson(io, {
          file,
          out,
          definitionHash: recipe.definitionHash,
          imageHash: recipe.imageHash,
          files: written.files,
          pendingFolders: written.pendingFolders,
        });
        return;
      }
      writeLine(io, `wrote ${written.files.length} files to ${out}`);
      for (const path of written.files) writeLine(io, `  ${path}`);
      for (const path of written.pendingFolders) writeLine(io, `  ${path} (filled at build time)`);
    });
}
