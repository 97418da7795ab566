/**
 * The dependencies a VCS requirement declares, so the lock pins them as wheels: the build
 * installs the project itself with `--no-deps` (recipe/dockerfile.ts), and whatever it needs must
 * already be in the lock. At lock time each pinned commit is checked out on the host and its
 * `pyproject.toml` read (with the host's python, whose tomllib is the TOML reader pip's world
 * agrees on). Only static PEP 621 metadata can be read without building the project: a project
 * whose dependencies are `dynamic`, or that has no `[project]` table (a setup.py), yields none,
 * and its dependencies must be listed as requirements of the definition (docs/vcs-requirements.md).
 * A dependency that is itself a direct reference (`x @ git+…`) is left to the definition too.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DefinitionVcsRequirement } from "../definition/vcs-pins.js";
import type { LockedVcsPackage } from "../definition/lock.js";
import { ExternalError } from "../errors/index.js";
import { checkoutCommit } from "./fetch-vcs.js";
import type { CheckoutOptions } from "./fetch-vcs.js";
import { DEFAULT_HOST_PYTHON } from "./run-pip.js";

export interface VcsDependenciesOptions extends Pick<CheckoutOptions, "git" | "env" | "signal"> {
  /** The host interpreter (3.11 or newer, for tomllib); default DEFAULT_HOST_PYTHON. */
  readonly python?: string;
  readonly timeoutMs?: number;
}

/** What a pyproject.toml says, as the host's tomllib reads it. */
const READ_PYPROJECT = [
  "import json, sys, tomllib",
  "try:",
  "    with open(sys.argv[1], 'rb') as handle:",
  "        project = tomllib.load(handle).get('project')",
  "except FileNotFoundError:",
  "    project = None",
  "if not isinstance(project, dict) or 'dependencies' in project.get('dynamic', []):",
  "    print('null')",
  "else:",
  "    print(json.dumps([d for d in project.get('dependencies', []) if isinstance(d, str)]))",
].join("\n");

/**
 * The declared dependencies of every git pin, in pin order, without direct references; a
 * repository or interpreter out of reach is an ExternalError naming it.
 */
export async function vcsDependencies(
  pins: readonly {
    readonly pin: LockedVcsPackage;
    readonly requirement: DefinitionVcsRequirement;
  }[],
  options: VcsDependenciesOptions = {},
): Promise<string[]> {
  const found: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), "envforge-vcs-deps-"));
  try {
    for (const [i, { pin, requirement }] of pins.entries()) {
      if (pin.vcs !== "git") continue;
      const tree = join(dir, `tree-${i}`);
      // git keeps its own deadline (minutes): a whole-repository fetch may take a while.
      await checkoutCommit({
        ...(options.git === undefined ? {} : { git: options.git }),
        ...(options.env === undefined ? {} : { env: options.env }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        url: requirement.vcs.url,
        commit: pin.commit,
        name: pin.name,
        repository: join(dir, `git-${i}`),
        tree,
      });
      const pyproject = join(tree, pin.subdirectory ?? "", "pyproject.toml");
      const declared = await readDependencies(pyproject, options);
      found.push(...declared.filter((line) => !/^[^;]*@/.test(line)));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return found;
}

function readDependencies(path: string, options: VcsDependenciesOptions): Promise<string[]> {
  const python = options.python ?? DEFAULT_HOST_PYTHON;
  return new Promise((resolve, reject) => {
    const child = spawn(python, ["-I", "-c", READ_PYPROJECT, path], {
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(
        new ExternalError(
          `${python} could not be run to read a VCS requirement's dependencies: ${error.message}`,
        ),
      );
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        const why = stderr.trim().split("\n").slice(-1)[0] ?? `exit ${code}`;
        return reject(new ExternalError(`pyproject.toml of a VCS requirement: ${why}`));
      }
      const parsed: unknown = JSON.parse(stdout);
      resolve(Array.isArray(parsed) ? parsed.filter((d) => typeof d === "string") : []);
    });
  });
}
