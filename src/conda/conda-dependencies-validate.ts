/**
 * What a conda environment file may hold, checked the way Azure ML's CondaDependencies checks it
 * (top-level keys limited to name/channels/dependencies/prefix/variables) plus every conda
 * dependency as a MatchSpec and every pip entry as PEP 508, all collected into one error.
 */
import * as z from "zod";
import type { Problem } from "../errors/index.js";
import { parseMatchSpec } from "../definition/match-spec.js";
import type { YamlSource } from "../definition/yaml-source.js";
import { formatKeyPath, problemsFromZodIssues } from "../definition/yaml-source.js";
import { checkPipEntry } from "./conda-dependencies-pip.js";

/** The top-level keys of a conda environment file, in the order envforge writes them. */
export const CONDA_FILE_KEYS = ["name", "channels", "dependencies", "variables", "prefix"] as const;

const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const WrittenCondaFile = z.strictObject({
  name: z.string().nullish(),
  channels: z.array(z.string()).nullish(),
  dependencies: z
    .array(z.union([z.string(), z.strictObject({ pip: z.array(z.string()).nullish() })]))
    .nullish(),
  variables: z.record(z.string(), scalar).nullish(),
  prefix: z.string().nullish(),
});

/** One problem, without where it is: what a check of a single value says. */
export type ValueProblem = Omit<Problem, "file" | "line" | "column" | "key">;

/** Why `spec` is not a valid conda dependency, or undefined when it is one. */
export function condaSpecProblem(spec: string): ValueProblem | undefined {
  const result = parseMatchSpec(spec);
  if (result.ok) return undefined;
  return {
    message: `not a valid match spec: ${result.error.message}`,
    found: JSON.stringify(spec),
    ...(result.error.example === undefined
      ? {}
      : { allowed: `e.g. ${JSON.stringify(result.error.example)}` }),
  };
}

/** Why `entry` is not a valid `pip:` entry, or undefined when it is one. */
export function pipEntryProblem(entry: string): ValueProblem | undefined {
  const check = checkPipEntry(entry);
  if (check.ok) return undefined;
  return {
    message: `not a valid pip requirement: ${check.reason}`,
    found: JSON.stringify(entry),
    ...(check.example === undefined ? {} : { allowed: `e.g. ${JSON.stringify(check.example)}` }),
  };
}

/** Every problem of a parsed conda environment file; empty when it is valid. */
export function condaFileProblems(yaml: YamlSource, file: string | undefined): Problem[] {
  const where = (path: readonly (string | number)[]): Omit<Problem, "message"> => {
    // Without a file the text was generated, so its lines mean nothing to the user.
    const at = file === undefined ? undefined : yaml.locateValue(path);
    return {
      ...(file === undefined ? {} : { file }),
      ...(at === undefined ? {} : { line: at.line, column: at.column }),
      key: formatKeyPath(path),
    };
  };
  if (yaml.value === null) {
    return [
      {
        ...(file === undefined ? {} : { file }),
        message: "the conda environment file is empty",
        allowed: `a mapping with keys ${CONDA_FILE_KEYS.join(", ")}`,
      },
    ];
  }
  const parsed = WrittenCondaFile.safeParse(yaml.value);
  const problems: Problem[] = parsed.success
    ? []
    : problemsFromZodIssues(parsed.error.issues, { yaml, schema: WrittenCondaFile }).map(
        ({ file: _file, ...problem }) => (file === undefined ? problem : { file, ...problem }),
      );
  // Specs are checked even when the shape is wrong elsewhere, so one run reports everything.
  const dependencies = listAt(yaml.value, "dependencies");
  dependencies.forEach((dependency, index) => {
    if (typeof dependency === "string") {
      const problem = condaSpecProblem(dependency);
      if (problem !== undefined) problems.push({ ...where(["dependencies", index]), ...problem });
      return;
    }
    listAt(dependency, "pip").forEach((entry, pipIndex) => {
      if (typeof entry !== "string") return;
      const problem = pipEntryProblem(entry);
      const path = ["dependencies", index, "pip", pipIndex];
      if (problem !== undefined) problems.push({ ...where(path), ...problem });
    });
  });
  return problems;
}

function listAt(value: unknown, key: string): readonly unknown[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  const list: unknown = Reflect.get(value, key);
  return Array.isArray(list) ? list : [];
}
