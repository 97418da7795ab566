/**
 * The image's own interpreter, read in the image itself: a throwaway container of the pinned base
 * runs `<interpreter> -c …` once (no network) and prints its version, implementation, C library
 * and machine, from which pip's target is made (pip/pip-target.ts, pipTargetOfInterpreter).
 * Running it is the only sure answer: which python a path names, and against which glibc it
 * was built, is the image's to say, not a file name's.
 *
 * An image by digest never changes, so its answer is kept under the cache folder, one file per
 * digest and interpreter: the next registration or build of any version on that base asks no
 * engine.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as z from "zod";
import { ValidationError } from "../errors/index.js";
import { runForOutput } from "./job-runner.js";
import type { JobRunner } from "./job-runner.js";

export interface PythonProbeOptions {
  /** The base image, by digest when it is pinned (only then is the answer cached). */
  readonly image: string;
  /** `python.interpreter_path` of the definition: a command or an absolute path. */
  readonly interpreterPath: string;
  readonly runner: JobRunner;
  /** Where answers for images by digest are kept; none: always ask the engine. */
  readonly cacheDir?: string;
  readonly signal?: AbortSignal;
}

const Facts = z.object({
  version: z.string(),
  implementation: z.string(),
  libc: z.string(),
  machine: z.string(),
});
export type ProbedInterpreter = z.infer<typeof Facts>;

const MARK = "envforge-python-probe:";

// Python 3 only, the standard library only; confstr is absent or refuses the name off glibc.
const SCRIPT = [
  "import json, os, platform, sys",
  "try:",
  '    libc = os.confstr("CS_GNU_LIBC_VERSION") or ""',
  "except (AttributeError, ValueError, OSError):",
  '    libc = ""',
  `print(${JSON.stringify(MARK)} + json.dumps({`,
  '    "version": "%d.%d.%d" % sys.version_info[:3],',
  '    "implementation": sys.implementation.name,',
  '    "libc": libc,',
  '    "machine": platform.machine(),',
  "}))",
].join("\n");

/**
 * What the interpreter says of itself. An interpreter the image lacks, or one that is not a
 * Python 3, is a ValidationError naming `python.interpreter_path`; an engine that cannot run
 * the container (or pull the image) throws the runner's ExternalError.
 */
export async function probePython(options: PythonProbeOptions): Promise<ProbedInterpreter> {
  const cacheFile =
    options.cacheDir !== undefined && options.image.includes("@sha256:")
      ? join(options.cacheDir, `${cacheKey(options.image, options.interpreterPath)}.json`)
      : undefined;
  if (cacheFile !== undefined) {
    const cached = await readFile(cacheFile, "utf8").then(
      (text) => Facts.safeParse(JSON.parse(text)),
      () => undefined,
    );
    if (cached?.success === true) return cached.data;
  }
  const { result, output } = await runForOutput(options.runner, {
    image: options.image,
    command: [options.interpreterPath, "-c", SCRIPT],
    network: "none",
    purpose: "python-probe",
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const line = output.split("\n").find((l) => l.startsWith(MARK));
  const parsed =
    result.exitCode === 0 && line !== undefined
      ? Facts.safeParse(safeJson(line.slice(MARK.length)))
      : undefined;
  if (parsed?.success !== true) {
    throw ValidationError.single({
      key: "python.interpreter_path",
      message: `the base image ${options.image} has no Python 3 interpreter at this path`,
      found: `${options.interpreterPath} (exit ${result.exitCode}${result.reason === undefined ? "" : `: ${result.reason}`}${output.trim() === "" ? "" : `; ${lastLines(output)}`})`,
      allowed: "the path or command of the image's python3, e.g. /usr/bin/python3",
    });
  }
  if (cacheFile !== undefined) {
    await mkdir(options.cacheDir ?? "", { recursive: true });
    // Written aside and renamed: a reader never sees half an answer.
    const partial = `${cacheFile}.${process.pid}.partial`;
    await writeFile(partial, `${JSON.stringify(parsed.data)}\n`);
    await rename(partial, cacheFile);
  }
  return parsed.data;
}

function cacheKey(image: string, interpreterPath: string): string {
  return createHash("sha256").update(`${image}\0${interpreterPath}`).digest("hex");
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function lastLines(output: string): string {
  return output.trim().split("\n").slice(-3).join(" | ");
}
