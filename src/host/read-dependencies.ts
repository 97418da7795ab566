/**
 * Reads the dependency files the SDK's factories take by path (Azure's
 * `from_docker_image(..., conda_specification=path, pip_requirements=path)`), naming the file in
 * every error.
 */
import { parseCondaEnvironment } from "../definition/conda-environment.js";
import type { CondaEnvironment, PipRequirements } from "../definition/definition.js";
import { parsePipRequirements } from "../definition/pip-requirements.js";
import { readSourceText, readSourceTextSync } from "./file-errors.js";

export async function readCondaEnvironment(path: string): Promise<CondaEnvironment> {
  return parseCondaEnvironment(await readSourceText(path));
}

/** A requirements file with its `-r`/`-c` includes, read relative to the including file. */
export async function readPipRequirements(path: string): Promise<PipRequirements> {
  return parsePipRequirements(await readSourceText(path), { readInclude: readSourceTextSync });
}
