/**
 * What the seed flow (scripts/seed-flow.ts, test/e2e/seed-flow.test.ts) needs on a machine with
 * the engines of scripts/ci/engines.sh and nothing from outside: a conda channel on 127.0.0.1
 * (the real zlib, `envforge-hello` with its bin/ script, and `python`/`pip` packages that hand
 * over to the base image's Debian python), a PEP 503 index of Debian's real wheels, the python
 * base image, and a definition folder (environment.yml + envforge.yaml) that uses them.
 *
 * Why python and pip packages: a conda environment always gets `python` (and `pip` when there
 * are pip requirements), as Azure ML's does, so the channel must solve them. These two are
 * shims over /usr/bin/python3 of the image, so pip installs with the image's interpreter.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestPackageSpec } from "../../test/support/conda-packages.js";
import { startPipIndex } from "../../test/support/pip-index.js";
import type { PipIndex } from "../../test/support/pip-index.js";
import { ensurePythonImage } from "../../test/support/python-image.js";
import { startSeedChannel } from "../../test/support/seed-channel.js";
import type { SeedChannel } from "../../test/support/seed-channel.js";

export { pipIndexProblem } from "../../test/support/pip-index.js";
export { dockerProblem } from "../../test/support/docker.js";
export { PLAIN_REGISTRY, registryProblem } from "../../test/support/registry.js";
import { PLAIN_REGISTRY } from "../../test/support/registry.js";

/** The image's interpreter (Debian bookworm: 3.11.2); the shims hand every call to it. */
const IMAGE_PYTHON = "/usr/bin/python3";

function shim(command: string): string {
  return `#!/bin/sh\nexec ${command} "$@"\n`;
}

/**
 * The python shim reads the prefix's own site-packages first, as a conda python does: envforge
 * installs locked wheels there (src/pip/install-wheel.ts), and Debian's python would not look.
 */
const PYTHON_SHIM = [
  "#!/bin/sh",
  'prefix=$(cd "$(dirname "$0")/.." && pwd)',
  `PYTHONPATH="$prefix/lib/python3.11/site-packages\${PYTHONPATH:+:$PYTHONPATH}" exec ${IMAGE_PYTHON} "$@"`,
  "",
].join("\n");

export const PYTHON_SHIMS: readonly TestPackageSpec[] = [
  {
    name: "python",
    version: "3.11.2",
    subdir: "linux-64",
    files: [
      { path: "bin/python", content: PYTHON_SHIM, mode: 0o755 },
      { path: "bin/python3", content: PYTHON_SHIM, mode: 0o755 },
    ],
  },
  {
    name: "pip",
    version: "23.0.1",
    noarch: "generic",
    depends: ["python"],
    files: [{ path: "bin/pip", content: shim(`${IMAGE_PYTHON} -m pip`), mode: 0o755 }],
  },
];

export interface SeedFlowSetup {
  /** Holds `definition/` (environment.yml, envforge.yaml), `home/` and `work/`. */
  readonly dir: string;
  /** `<dir>/definition/envforge.yaml`, the file `envforge env create -f` reads. */
  readonly definitionFile: string;
  /** A fresh ENVFORGE_HOME, no config file, images pushed under `<registry>`. */
  readonly env: NodeJS.ProcessEnv;
  /** Where a job runs (mounted at /workspace). */
  readonly workDir: string;
  readonly channel: SeedChannel;
  readonly index: PipIndex;
  readonly pythonImage: string;
  close(): Promise<void>;
}

export interface SeedFlowOptions {
  /** Images go to `<registry>/envforge_<image hash>`; default `<PLAIN_REGISTRY>/envforge`. */
  readonly registry?: string;
  /** Told what is being prepared (the python image's first build takes about a minute). */
  readonly report?: (line: string) => void;
}

export async function prepareSeedFlow(options: SeedFlowOptions = {}): Promise<SeedFlowSetup> {
  const report = options.report ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), "envforge-seed-flow-"));
  const closers: (() => Promise<void>)[] = [() => rm(dir, { recursive: true, force: true })];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    report("base image with Debian's python3 (built once per machine, then found in the registry)");
    const pythonImage = await ensurePythonImage();
    const channel = await startSeedChannel({ extra: PYTHON_SHIMS });
    closers.push(() => channel.close());
    const index = await startPipIndex();
    closers.push(() => index.close());
    report(`conda channel ${channel.url}, pip index ${index.url}`);

    const definitionDir = join(dir, "definition");
    const workDir = join(dir, "work");
    await mkdir(definitionDir, { recursive: true });
    await mkdir(workDir, { recursive: true });
    await writeFile(
      join(definitionDir, "environment.yml"),
      [
        "channels:",
        `  - ${channel.url}`,
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - zlib=1.2.11",
        "  - envforge-hello",
        "",
      ].join("\n"),
    );
    const definitionFile = join(definitionDir, "envforge.yaml");
    await writeFile(
      definitionFile,
      [
        "description: the seed flow's environment",
        `image: ${pythonImage}`,
        "conda_file: environment.yml",
        "pip:",
        `  - --index-url ${index.url}`,
        "  - wheel==0.38.4",
        "",
      ].join("\n"),
    );
    const env: NodeJS.ProcessEnv = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "no-config.yaml"),
      ENVFORGE_REGISTRY: options.registry ?? `${PLAIN_REGISTRY}/envforge`,
      HOME: dir,
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    };
    return { dir, definitionFile, env, workDir, channel, index, pythonImage, close };
  } catch (error) {
    await close();
    throw error;
  }
}
