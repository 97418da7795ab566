/** `--env K=V` and `--mount SRC:DST[:ro]` as the job runner takes them. */
import { isAbsolute, resolve } from "node:path";
import { ValidationError } from "../../errors/index.js";
import type { Problem } from "../../errors/index.js";
import type { JobMount } from "../../jobs/job-runner.js";

export { WORKING_FOLDER_TARGET } from "../../client/run-here.js";

export function parseEnvOptions(values: readonly string[]): Record<string, string> {
  const problems: Problem[] = [];
  const env: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf("=");
    const key = at < 0 ? value : value.slice(0, at);
    if (at < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      problems.push({
        key: "--env",
        message: "not a variable assignment",
        found: JSON.stringify(at < 0 ? value : key),
        allowed: "NAME=value, NAME of letters, digits and _ (e.g. --env SEED=1)",
      });
      continue;
    }
    env[key] = value.slice(at + 1);
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return env;
}

export function parseMountOptions(values: readonly string[], cwd: string): JobMount[] {
  const problems: Problem[] = [];
  const mounts: JobMount[] = [];
  for (const value of values) {
    const parts = value.split(":");
    const [source, target, mode] = parts;
    if (
      source === undefined ||
      source === "" ||
      target === undefined ||
      !isAbsolute(target) ||
      parts.length > 3 ||
      (mode !== undefined && mode !== "ro")
    ) {
      problems.push({
        key: "--mount",
        message: "not a mount",
        found: JSON.stringify(value),
        allowed: "SOURCE:/absolute/target or SOURCE:/absolute/target:ro",
      });
      continue;
    }
    mounts.push({
      source: resolve(cwd, source),
      target,
      ...(mode === "ro" ? { readOnly: true } : {}),
    });
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return mounts;
}
