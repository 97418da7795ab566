/**
 * The name a definition gives itself, for `env create` without `--name`: `name:` of an
 * envforge.yaml / Azure ML v2 YAML (from the entry the collector already parsed), `name:` of a
 * conda environment.yml, or `name` of an Azure ML v1 folder's azureml_environment.json. The
 * conda and v1 files are read as plain YAML/JSON for that one key: the definition parsers run
 * once, later, where the registration is made (in-process or on a server).
 */
import { parse as parseYaml } from "yaml";
import { AZUREML_V1_DEFINITION_FILE } from "../definition/azureml-v1.js";
import type { DefinitionFiles } from "./definition-files.js";

export function declaredName(input: DefinitionFiles): string | undefined {
  const parsed = input.parsedEntry;
  if (parsed !== undefined) {
    return parsed.kind === "pip" ? undefined : usable(parsed.file.metadata.name);
  }
  const kind = input.kind ?? input.detectedKind;
  if (kind === "conda") return usable(topLevelName(input, input.entry, parseYaml));
  if (kind === "azureml-v1") {
    const path =
      input.entry === "."
        ? AZUREML_V1_DEFINITION_FILE
        : `${input.entry}/${AZUREML_V1_DEFINITION_FILE}`;
    return usable(topLevelName(input, path, (text) => JSON.parse(text) as unknown));
  }
  return undefined;
}

function topLevelName(
  input: DefinitionFiles,
  path: string,
  parse: (text: string) => unknown,
): unknown {
  const file = input.files.get(path);
  if (file === undefined) return undefined;
  try {
    const value = parse(new TextDecoder().decode(file.bytes));
    return typeof value === "object" && value !== null && "name" in value ? value.name : undefined;
  } catch {
    // A file that does not parse has no name to offer; the registration reports why it fails.
    return undefined;
  }
}

function usable(name: unknown): string | undefined {
  return typeof name === "string" && name.trim() !== "" ? name.trim() : undefined;
}
