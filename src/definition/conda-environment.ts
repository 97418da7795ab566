/**
 * Conda `environment.yml` / `conda_dependencies.yml` → CondaEnvironment. Top-level keys are
 * those conda and Azure ML accept (name, channels, dependencies, variables, prefix); anything
 * else is an error, as in Azure's CondaDependencies. Every problem is reported at once.
 */
import * as z from "zod";
import type { Problem } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";
import type { CondaEnvironment, SourceText } from "./definition.js";
import { checkVariableName, checkVariableValue } from "./definition-rules.js";
import type { ValueProblem } from "./definition-rules.js";
import { parseMatchSpec } from "./match-spec.js";
import { checkPipRequirementLines, redactUrl } from "./pip-requirements.js";
import type { KeyPath, YamlSource } from "./yaml-source.js";
import { formatKeyPath, parseYamlSource, problemsFromZodIssues } from "./yaml-source.js";

/** What a conda environment file may hold, as written. Empty values (`channels:`) are null. */
const WrittenCondaEnvironment = z.strictObject({
  name: z.string().nullish(),
  channels: z.array(z.string()).nullish(),
  dependencies: z
    .array(z.union([z.string(), z.strictObject({ pip: z.array(z.string()).nullish() })]))
    .nullish(),
  // Scalars are accepted as conda does; null is accepted here and refused with a clearer message.
  variables: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .nullish(),
  prefix: z.string().nullish(),
});

type WrittenCondaEnvironment = z.infer<typeof WrittenCondaEnvironment>;

/**
 * Parses a conda environment file. Variables given as numbers or booleans become strings as
 * written (`1.10` stays "1.10", `yes` stays "yes"), since they end up as `ENV` text in the image.
 * Throws one ValidationError with every problem, each with file, line, column and key.
 */
export function parseCondaEnvironment(source: SourceText): CondaEnvironment {
  const yaml = parseYamlSource(source);
  if (yaml.value === null) {
    throw ValidationError.single({
      file: source.path,
      message: "the file is empty",
      allowed: "a mapping with name, channels, dependencies, variables or prefix",
    });
  }
  const parsed = WrittenCondaEnvironment.safeParse(yaml.value);
  if (!parsed.success) {
    // Structure first; value checks run on what is well formed, so all problems come at once.
    const problems = [
      ...problemsFromZodIssues(parsed.error.issues, { yaml, schema: WrittenCondaEnvironment }),
      ...valueProblems(yaml, looseView(yaml.value)),
    ];
    throw new ValidationError(sortByPosition(problems));
  }
  const written = parsed.data;
  const problems = valueProblems(yaml, written);
  if (problems.length > 0) throw new ValidationError(sortByPosition(problems));
  return toModel(yaml, written);
}

function toModel(yaml: YamlSource, written: WrittenCondaEnvironment): CondaEnvironment {
  const dependencies: string[] = [];
  const pip: string[] = [];
  for (const item of written.dependencies ?? []) {
    if (typeof item === "string") dependencies.push(item.trim());
    else pip.push(...(item.pip ?? []).map((line) => line.trim()));
  }
  return {
    ...(written.name == null ? {} : { name: written.name }),
    channels: (written.channels ?? []).map((channel) => channel.trim()),
    dependencies,
    pip,
    variables: variablesOf(yaml, written.variables ?? {}),
    ...(written.prefix == null ? {} : { prefix: written.prefix }),
    source: yaml.source,
  };
}

function variablesOf(
  yaml: YamlSource,
  variables: Readonly<Record<string, string | number | boolean | null>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    if (value === null) continue;
    out[name] =
      typeof value === "string" ? value : (yaml.scalarText(["variables", name]) ?? String(value));
  }
  return out;
}

/**
 * What the value checks look at: the written shape, with room for items of the wrong type
 * (undefined) so a document that failed the schema can still be checked, indexes intact.
 */
interface Checkable {
  readonly name?: string | null | undefined;
  readonly channels?: readonly (string | undefined)[] | null | undefined;
  readonly dependencies?:
    | readonly (string | { readonly pip?: readonly (string | undefined)[] | null } | undefined)[]
    | null
    | undefined;
  readonly variables?: Readonly<
    Record<string, string | number | boolean | null | undefined>
  > | null;
}

function looseView(value: unknown): Checkable {
  if (!isRecord(value)) return {};
  const strings = (list: unknown): (string | undefined)[] | undefined =>
    Array.isArray(list)
      ? list.map((item: unknown) => (typeof item === "string" ? item : undefined))
      : undefined;
  const dependency = (item: unknown): string | { pip: (string | undefined)[] } | undefined => {
    if (typeof item === "string") return item;
    return isRecord(item) && "pip" in item ? { pip: strings(item.pip) ?? [] } : undefined;
  };
  return {
    ...(typeof value.name === "string" ? { name: value.name } : {}),
    channels: strings(value.channels),
    dependencies: Array.isArray(value.dependencies)
      ? value.dependencies.map(dependency)
      : undefined,
    variables: isRecord(value.variables) ? scalarsOnly(value.variables) : undefined,
  };
}

function scalarsOnly(
  record: Record<string, unknown>,
): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(record)) {
    if (
      value === null ||
      typeof value === "string" ||
      typeof value === "number" ||
      typeof value === "boolean"
    ) {
      out[key] = value;
    }
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function valueProblems(yaml: YamlSource, written: Checkable): Problem[] {
  const problems: Problem[] = [];
  const add = (path: KeyPath, problem: ValueProblem, at = yaml.locateValue(path)): void => {
    problems.push({
      file: yaml.source.path,
      ...(at === undefined ? {} : { line: at.line, column: at.column }),
      key: formatKeyPath(path),
      ...problem,
    });
  };
  if (written.name != null) {
    const problem = checkEnvironmentName(written.name);
    if (problem !== undefined) add(["name"], problem);
  }
  (written.channels ?? []).forEach((channel, index) => {
    if (channel === undefined) return;
    const problem = checkChannel(channel);
    if (problem !== undefined) add(["channels", index], problem);
  });
  let pipIndex: number | undefined;
  (written.dependencies ?? []).forEach((item, index) => {
    if (item === undefined) return;
    if (typeof item === "string") {
      const problem = checkDependency(item);
      if (problem !== undefined) add(["dependencies", index], problem);
      return;
    }
    if (pipIndex !== undefined) {
      add(["dependencies", index], {
        message: `a second pip: list (the first is dependencies[${pipIndex}])`,
        allowed: "one pip: list holding every pip requirement",
      });
      return;
    }
    pipIndex = index;
    const pipPath: KeyPath = ["dependencies", index, "pip"];
    const { problems: pipProblems } = checkPipRequirementLines(
      (item.pip ?? []).map((line) => line ?? ""),
      {
        path: yaml.source.path,
        locate: (line) => {
          const at = yaml.locateValue([...pipPath, line]);
          return {
            ...(at === undefined ? {} : { line: at.line, column: at.column }),
            key: formatKeyPath([...pipPath, line]),
          };
        },
      },
    );
    problems.push(...pipProblems);
  });
  for (const [name, value] of Object.entries(written.variables ?? {})) {
    const path: KeyPath = ["variables", name];
    const nameProblem = checkVariableName(name);
    if (nameProblem !== undefined) add(path, nameProblem, yaml.locate(path));
    if (value === undefined) continue;
    if (value === null) {
      add(
        path,
        {
          message: "a variable needs a value",
          found: "an empty value",
          allowed: 'a string, number or boolean; write "" for an empty string',
        },
        yaml.locate(path),
      );
    } else if (typeof value === "string") {
      const valueProblem = checkVariableValue(value);
      if (valueProblem !== undefined) add(path, valueProblem);
    }
  }
  return problems;
}

/** conda refuses these characters in an environment name. */
const BAD_NAME_CHARACTERS = /[/\\\s:#!]/;

function checkEnvironmentName(name: string): ValueProblem | undefined {
  if (name !== "" && !BAD_NAME_CHARACTERS.test(name)) return undefined;
  return {
    message: "not a valid conda environment name",
    found: JSON.stringify(name),
    allowed: 'a name without spaces, "/", "\\", ":", "#" or "!", such as "pytorch"',
  };
}

function checkDependency(text: string): ValueProblem | undefined {
  const allowed = (example = "numpy>=1.2"): string =>
    `a conda match spec such as ${JSON.stringify(example)}`;
  // A line break could start a new instruction in a generated Dockerfile or script.
  if (/[\r\n\0]/.test(text)) {
    return {
      message: "a dependency cannot contain a line break",
      found: JSON.stringify(text),
      allowed: allowed(),
    };
  }
  const result = parseMatchSpec(text.trim());
  if (result.ok) return undefined;
  return {
    message: `not a valid match spec: ${result.error.message}`,
    found: JSON.stringify(text),
    allowed: allowed(result.error.example),
  };
}

// Channel names as conda writes them: `conda-forge`, `pytorch`, `nvidia/label/cuda-12.1.0`.
const CHANNEL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*(\/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*$/;
const CHANNEL_ALLOWED =
  'a channel name such as "conda-forge" or "nvidia/label/cuda-12.1.0", an http(s):// or file:// URL, or an absolute path';

function checkChannel(channel: string): ValueProblem | undefined {
  const text = channel.trim();
  const bad = (message: string): ValueProblem => ({
    message,
    found: JSON.stringify(redactUrl(channel)),
    allowed: CHANNEL_ALLOWED,
  });
  if (/[\s\0]/.test(text)) return bad("a channel cannot contain spaces or line breaks");
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    if (!/^(https?|file):\/\//i.test(text)) return bad("not a channel URL envforge can read");
    try {
      new URL(text);
    } catch {
      return bad("not a valid URL");
    }
    return undefined;
  }
  if (text.startsWith("/")) return undefined;
  if (/^[.~]/.test(text)) {
    return bad("a channel path must be absolute: a relative one means nothing inside the build");
  }
  return CHANNEL_NAME.test(text) ? undefined : bad("not a valid channel");
}

function sortByPosition(problems: readonly Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
}
