/**
 * Which kind of definition a file is, from its name first and its content second, the way a
 * user would tell: `Dockerfile`, `requirements.txt`, `envforge.yaml`, a YAML mapping with conda
 * keys or with Azure/envforge keys, lines that read like pip requirements.
 */
import { posix } from "node:path";
import type { DefinitionKind, SourceText } from "../definition/definition.js";
import { ENVFORGE_ONLY_KEYS } from "../definition/definition-schema.js";
import { AZUREML_V1_DEFINITION_FILE } from "../definition/azureml-v1.js";
import { ENVFORGE_FILE_NAMES } from "../definition/envforge-file.js";
import { parseYamlSource } from "../definition/yaml-source.js";
import { checkTextLimits } from "../definition/input-limits.js";
import { TOP_LEVEL_KEYS, nearMissAnyKind } from "../definition/near-miss.js";
import { ValidationError } from "../errors/index.js";

const KNOWN_KEYS = new Set(TOP_LEVEL_KEYS.flatMap((entry) => entry.keys));

/** Keys a conda environment file may hold (conda's env spec and Azure's CondaDependencies). */
const CONDA_KEYS = new Set(["name", "channels", "dependencies", "variables", "prefix"]);

/** Keys only an envforge.yaml / Azure ML v2 file has: it names its base or its conda file. */
const ENVFORGE_BASE_KEYS = new Set(["image", "build", "conda_file"]);

const DOCKERFILE_NAME = /^(?:base)?dockerfile$|^dockerfile\.|\.dockerfile$/i;

/** A pip requirement, option or include line (comments and blank lines are skipped). */
const REQUIREMENT_LINE =
  /^(?:-{1,2}[a-z][\w-]*(?:[\s=].*)?|[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*(?:[<>=!~;@].*)?|(?:https?|git\+[a-z]+):\/\/\S+)$/;

export function detectFileKind(source: SourceText): DefinitionKind | undefined {
  checkTextLimits(source);
  const name = posix.basename(source.path.replaceAll("\\", "/"));
  if (DOCKERFILE_NAME.test(name)) return "dockerfile";
  if (name === AZUREML_V1_DEFINITION_FILE) return "azureml-v1";
  if ((ENVFORGE_FILE_NAMES as readonly string[]).includes(name)) return "envforge";
  if (/\.txt$/i.test(name) || /^requirements.*\.in$/i.test(name)) return "pip";
  // A YAML name is a YAML file: text that is not a mapping gets the YAML parsers' message, never
  // a reading as pip requirements (a one-word "aaaa" is a valid requirement).
  const yamlName = /\.ya?ml$/i.test(name);

  const value = yamlValue(source);
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    // A misspelt key (`chanels`) counts as the key it most likely meant, so a conda file with
    // typos is still read as a conda file and its parser says "did you mean "channels"?".
    const keys = Object.keys(value).map((key) =>
      KNOWN_KEYS.has(key) ? key : (nearMissAnyKind(key)?.key ?? key),
    );
    const condaOnly = keys.every((key) => CONDA_KEYS.has(key));
    const condaContent = keys.includes("dependencies") || keys.includes("channels");
    // A conda file with a stray key is still a conda file: its parser then names the stray key,
    // where reading it as envforge.yaml would report the conda keys themselves as the problem.
    const hasBase = keys.some((key) => ENVFORGE_BASE_KEYS.has(key));
    if (condaContent && (condaOnly || !hasBase)) return "conda";
    if (condaOnly) return undefined;
    return ENVFORGE_ONLY_KEYS.some((key) => keys.includes(key)) ? "envforge" : "azureml-v2";
  }
  if (yamlName) return undefined;
  return looksLikeRequirements(source.text) ? "pip" : undefined;
}

function yamlValue(source: SourceText): unknown {
  try {
    return parseYamlSource(source).value;
  } catch {
    return undefined;
  }
}

function looksLikeRequirements(text: string): boolean {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, "").trim())
    .filter((line) => line !== "");
  return lines.length > 0 && lines.every((line) => REQUIREMENT_LINE.test(line));
}

const KIND_WORDS: Readonly<Record<string, string>> = {
  conda: "a conda environment file",
  "azureml-v2": "an Azure ML v2 environment YAML",
  envforge: "an envforge.yaml",
};

/**
 * Why a YAML file whose kind was told from its keys was read as `kind`, when some of its keys
 * belong to no kind or to another one: the reader of a message about a key should know which
 * kind of file envforge took it for. Undefined when every key fits.
 */
export function assumedKindReason(source: SourceText, kind: string): string | undefined {
  const words = KIND_WORDS[kind];
  const value = yamlValue(source);
  if (words === undefined || typeof value !== "object" || value === null || Array.isArray(value)) {
    return undefined;
  }
  const keys = Object.keys(value);
  const own = new Set(
    kind === "conda"
      ? CONDA_KEYS
      : TOP_LEVEL_KEYS.filter((entry) => entry.kind !== KIND_WORDS.conda).flatMap((e) => e.keys),
  );
  const strays = keys.filter((key) => !own.has(key));
  // Could it have been another kind? A conda file told only by misspelt keys, or a file of
  // another kind holding (nearly) a conda key. A plain stray key is named by the parser alone.
  const condaLike = (key: string): boolean =>
    CONDA_KEYS.has(key) || CONDA_KEYS.has(nearMissAnyKind(key)?.key ?? "");
  const ambiguous =
    kind === "conda"
      ? !keys.includes("dependencies") && !keys.includes("channels")
      : strays.some(condaLike);
  if (strays.length === 0 || !ambiguous) return undefined;
  const evidence =
    kind === "conda"
      ? "it has conda's keys (or keys close to them: dependencies, channels) and no image, build or conda_file"
      : keys.some((key) => ENVFORGE_BASE_KEYS.has(key))
        ? `it names its base (${keys.filter((key) => ENVFORGE_BASE_KEYS.has(key)).join(", ")})`
        : "it is a mapping without conda's dependencies or channels";
  return `read as ${words} because ${evidence}; ${strays.map((key) => JSON.stringify(key)).join(", ")} ${strays.length === 1 ? "is" : "are"} not among its keys (give the kind explicitly to read it as another)`;
}

/** Runs a parser for a kind told from content; its ValidationError also says why that kind. */
export function parseAsDetected<T>(source: SourceText, kind: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const reason = assumedKindReason(source, kind);
    if (reason === undefined) throw error;
    throw new ValidationError([...error.problems, { file: source.path, message: reason }], {
      cause: error,
    });
  }
}
