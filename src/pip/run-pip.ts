/**
 * pip's resolver, run on the host: `python3 -m pip install --dry-run --ignore-installed --report`
 * for the target's tags. Isolated from the host: `--isolated` (no user configuration, no PIP_*
 * variables), PIP_CONFIG_FILE=/dev/null (no global or site configuration either) and a clean
 * environment with its own HOME, so a machine's
 * pip.conf (its find-links, extra indexes, constraints) never takes part: the same definition
 * locks the same way anywhere. Debian's python3-pip is the expected interpreter
 * (scripts/ci/python-pip.sh installs it).
 */
import { spawn } from "node:child_process";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { constants } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Debian's interpreter, whose pip is python3-pip's. */
export const DEFAULT_HOST_PYTHON = "/usr/bin/python3";

export interface RunPipOptions {
  /** The host interpreter with pip; default DEFAULT_HOST_PYTHON. */
  readonly python?: string;
  /** requirements.txt for pip: options and requirement lines. */
  readonly requirements: string;
  /** constraints.txt, when the definition has constraints (`-c constraints.txt` names it). */
  readonly constraints?: string;
  /** pip's flags for the target (pip-target.ts). */
  readonly targetFlags: readonly string[];
  /** PEP 508 marker values of the target (pip-target.ts markerEnvironment). */
  readonly markerEnvironment: Readonly<Record<string, string>>;
  /** Per network request of pip (its --timeout), and 20 times that for the whole run. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Runs pip's own command line with the target's marker values: pip evaluates `python_version`,
 * `platform_machine` and the rest with the host interpreter's values even with --python-version,
 * so a marker such as `python_version >= "3.12"` would be judged for the host. packaging's
 * default_environment() is looked up at each evaluation, so replacing it is enough.
 */
const MARKER_BOOTSTRAP = [
  "import json, sys",
  "target = json.loads(sys.argv[1])",
  "del sys.argv[1]",
  "from pip._vendor.packaging import markers",
  "host = markers.default_environment",
  "markers.default_environment = lambda: {**host(), **target}",
  "from pip._internal.cli.main import main",
  "sys.argv[0] = 'pip'",
  "sys.exit(main())",
].join("\n");

export type RunPipResult =
  | { readonly kind: "resolved"; readonly report: string }
  | { readonly kind: "failed"; readonly stderr: string; readonly code: number | null }
  | { readonly kind: "no-pip"; readonly reason: string };

/** Why the host cannot resolve pip requirements, or undefined when it can. */
export async function hostPipProblem(python = DEFAULT_HOST_PYTHON): Promise<string | undefined> {
  const missing = `pip requirements are resolved with the host's python3 and pip, and ${python}`;
  try {
    await access(python, constants.X_OK);
  } catch {
    return `${missing} is missing (on Debian: apt-get install python3-pip)`;
  }
  const probe = await spawnCollect(python, ["-m", "pip", "--version"], cleanEnv("/"), 30_000);
  if (probe.code !== 0) {
    return `${missing} has no pip (on Debian: apt-get install python3-pip): ${lastLine(probe.stderr)}`;
  }
  return undefined;
}

export async function runPipResolver(options: RunPipOptions): Promise<RunPipResult> {
  const python = options.python ?? DEFAULT_HOST_PYTHON;
  const dir = await mkdtemp(join(tmpdir(), "envforge-pip-"));
  try {
    await writeFile(join(dir, "requirements.txt"), options.requirements);
    if (options.constraints !== undefined) {
      await writeFile(join(dir, "constraints.txt"), options.constraints);
    }
    const report = join(dir, "report.json");
    const seconds = String(Math.max(1, Math.ceil(options.timeoutMs / 1000)));
    const args = [
      "-c",
      MARKER_BOOTSTRAP,
      JSON.stringify(options.markerEnvironment),
      "install",
      "--isolated",
      "--dry-run",
      "--ignore-installed",
      "--no-input",
      "--disable-pip-version-check",
      "--no-cache-dir",
      "--quiet",
      "--retries",
      "1",
      "--timeout",
      seconds,
      // Platform flags need a target folder; a dry run writes nothing into it.
      "--target",
      join(dir, "target"),
      ...options.targetFlags,
      "--report",
      report,
      "-r",
      join(dir, "requirements.txt"),
    ];
    const run = await spawnCollect(
      python,
      args,
      cleanEnv(dir),
      options.timeoutMs * 20,
      options.signal,
    );
    if (run.code !== 0) {
      // Asked only when pip did not answer: a lock pays no second interpreter start.
      if (run.code === null || /No module named '?pip/.test(run.stderr)) {
        const problem = await hostPipProblem(python);
        if (problem !== undefined) return { kind: "no-pip", reason: problem };
      }
      return { kind: "failed", stderr: run.stderr, code: run.code };
    }
    return { kind: "resolved", report: await readFile(report, "utf8") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Nothing of the caller's environment: no PIP_*, no PYTHON*, a HOME of our own. --isolated
 * leaves global and site configuration files (/etc/pip.conf, /etc/xdg/pip/pip.conf) in force;
 * PIP_CONFIG_FILE set to /dev/null is pip's one switch that skips every configuration file.
 */
function cleanEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    PIP_CONFIG_FILE: "/dev/null",
    LANG: "C.UTF-8",
    PYTHONNOUSERSITE: "1",
    PYTHONDONTWRITEBYTECODE: "1",
  };
}

function spawnCollect(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: timeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.once("error", (error) => {
      if (signal?.aborted === true) reject(signal.reason instanceof Error ? signal.reason : error);
      else resolve({ code: null, stdout: "", stderr: error.message });
    });
    child.once("close", (code, killed) => {
      const stderr = Buffer.concat(err).toString("utf8");
      resolve({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr:
          killed === "SIGTERM" && code === null
            ? `${stderr}\npip did not finish within ${Math.round(timeoutMs / 1000)} s`
            : stderr,
      });
    });
  });
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split("\n")
      .filter((line) => line.trim() !== "")
      .pop() ?? ""
  );
}
