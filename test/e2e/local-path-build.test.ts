/**
 * `-e <folder>` of envforge.yaml's `pip:` on the real Docker engine: accepted (with its warning)
 * when the folder lies inside the definition's build context, installed from the context's
 * stored files by the image's own pip, and imported by a job; refused, naming the line, when the
 * folder is outside the context (`..`, the yaml's own folder) or there is no context at all.
 * The project builds offline with an in-tree PEP 517 backend (`backend-path`), so the python
 * image needs nothing from an index.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import { ensurePythonImage } from "../support/python-image.js";
import { registryProblem } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const docker = dockerClient();
const gate = engineGate(
  "Docker engine and registry",
  (await dockerProblem(docker)) ?? (await registryProblem()),
);

// New bytes per run, so the image is built here and not found from an earlier run.
const NONCE = randomBytes(6).toString("hex");

/** A PEP 517 backend of its own: writes a py3-none-any wheel of the package with its RECORD. */
const BACKEND = `import base64, hashlib, os, zipfile

NAME, VERSION = "localdemo", "1.0.0"


def _line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    wheel = f"{NAME}-{VERSION}-py3-none-any.whl"
    info = f"{NAME}-{VERSION}.dist-info"
    files = {}
    for root, _, names in os.walk(NAME):
        for name in sorted(names):
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                files[path.replace(os.sep, "/")] = handle.read()
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n".encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\\nGenerator: tiny\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    record = [_line(path, data) for path, data in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\\n".join(record) + "\\n").encode()
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel
`;

const Built = z.looseObject({
  state: z.string(),
  cacheHit: z.boolean(),
  image: z.object({ id: z.string().nullable() }),
});

describe.skipIf(gate.skip)("a pip requirement naming a folder of the build context", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const images: string[] = [];

  beforeAll(async () => {
    gate.require();
    const pythonImage = await ensurePythonImage();
    dir = await mkdtemp(join(tmpdir(), "envforge-local-path-"));
    env = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "none.yaml"),
      HOME: dir,
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    };
    const project = join(dir, "ctx", "mypkg");
    await mkdir(join(project, "localdemo"), { recursive: true });
    await mkdir(join(dir, "outside"), { recursive: true });
    await writeFile(join(dir, "ctx", "Dockerfile"), `FROM ${pythonImage}\n`);
    await writeFile(
      join(project, "pyproject.toml"),
      '[build-system]\nrequires = []\nbuild-backend = "tiny_backend"\nbackend-path = ["."]\n',
    );
    await writeFile(join(project, "tiny_backend.py"), BACKEND);
    await writeFile(
      join(project, "localdemo", "__init__.py"),
      `__version__ = "1.0.0"\nNONCE = "${NONCE}"\n`,
    );
  }, 600_000);
  afterAll(async () => {
    for (const id of images) await removeImage(docker, id).catch(() => undefined);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function definition(name: string, lines: readonly string[]): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, `${lines.join("\n")}\n`);
    return file;
  }

  const USER_PYTHON =
    "python: {user_managed_dependencies: true, interpreter_path: /usr/bin/python3}";

  it("installs a folder inside the build context from its files, with a warning for -e", async () => {
    const file = await definition("envforge.yaml", [
      "build: {path: ctx}",
      USER_PYTHON,
      "pip:",
      "  - -e ctx/mypkg",
    ]);
    const created = await cli(["env", "create", "-f", file, "-n", "local"], { env, cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toContain(
      'warning: envforge.yaml:4:5: pip[0]: -e (editable) is ignored for a folder of the build context: an image has no working copy to edit, so it is installed from the context\'s files (found "-e ctx/mypkg")',
    );
    const shown = await cli(["env", "show", "local", "--dockerfile"], { env, cwd: dir });
    expect(shown.stdout).toContain(
      "RUN --mount=type=bind,source=envforge/local/0/,target=/tmp/envforge/local/0,rw \\\n    /usr/bin/python3 -m pip install --no-deps --no-index --no-build-isolation",
    );

    const build = await cli(["env", "build", "local", "--json"], { env, cwd: dir });
    expect(build.code, build.stderr).toBe(0);
    const built = Built.parse(JSON.parse(build.stdout));
    if (built.image.id !== null) images.push(built.image.id);
    expect(built).toMatchObject({ state: "succeeded", cacheHit: false });

    const job = await cli(
      [
        "run",
        "local",
        "--",
        "/usr/bin/python3",
        "-c",
        "import localdemo; print(localdemo.__version__, localdemo.NONCE)",
      ],
      { env, cwd: dir },
    );
    expect(job.code, job.stderr).toBe(0);
    expect(job.stdout).toBe(`1.0.0 ${NONCE}\n`);
  }, 600_000);

  it("refuses a folder outside the build context or without one, naming the line", async () => {
    const outside = await definition("outside.yaml", [
      "build: {path: ctx}",
      USER_PYTHON,
      "pip:",
      "  - -e ../outside",
      "  - ./outside",
      "  - -e .",
    ]);
    const refused = await cli(["validate", outside], { env, cwd: dir });
    expect(refused.code).toBe(2);
    const reason = (editable: boolean): string =>
      `${editable ? "editable installs are not reproducible in an image" : "local paths cannot be used: the image build cannot see your disk; publish the package to an index or put it in a build context"}; only a folder inside the build context "ctx" can be installed`;
    expect(refused.stdout).toContain(
      `outside.yaml:4:5: pip[0]: ${reason(true)} (found "../outside"; allowed: a folder inside "ctx", e.g. "ctx/mypkg")`,
    );
    expect(refused.stdout).toContain(
      `outside.yaml:5:5: pip[1]: ${reason(false)} (found "./outside"`,
    );
    expect(refused.stdout).toContain(`outside.yaml:6:5: pip[2]: ${reason(true)} (found "."`);

    // An image base has no build context: today's reason, unchanged.
    const image = await definition("image.yaml", [
      "image: 127.0.0.1:5000/envforge/debian:bookworm",
      "pip:",
      "  - -e ctx/mypkg",
    ]);
    const noContext = await cli(["validate", image], { env, cwd: dir });
    expect(noContext.code).toBe(2);
    expect(noContext.stdout).toContain(
      'image.yaml:3:5: pip[0]: editable installs are not reproducible in an image (found "-e ctx/mypkg"',
    );
  });
});
