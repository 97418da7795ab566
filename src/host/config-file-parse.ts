/**
 * The config file's text to its values (config-file.ts reads the file and loads this only when
 * there is one, so a run without a config file never loads the YAML parser or zod for it).
 */
import * as z from "zod";
import { ValidationError } from "../errors/index.js";
import type { SourceText } from "../definition/definition.js";
import { problemsFromZodIssues, parseYamlSource } from "../definition/yaml-source.js";

/**
 * Pure: the file's text to its values, or one ValidationError listing every problem. `keys` are
 * the settings' config-file keys (config-file.ts SETTINGS); any other key is a problem.
 */
export function parseConfigFile(
  source: SourceText,
  keys: readonly string[],
): Readonly<Record<string, string>> {
  const ConfigFileSchema = z.strictObject(
    Object.fromEntries(keys.map((key) => [key, z.string().min(1).optional()])),
  );
  const yaml = parseYamlSource(source);
  if (yaml.value === null) return {};
  const parsed = ConfigFileSchema.safeParse(yaml.value);
  if (!parsed.success) {
    throw new ValidationError(
      problemsFromZodIssues(parsed.error.issues, { yaml, schema: ConfigFileSchema }),
    );
  }
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed.data)) {
    if (typeof value === "string") values[key] = value;
  }
  return values;
}
