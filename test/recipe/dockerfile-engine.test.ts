/**
 * The generated Dockerfiles, built by the real Docker engine (20.10, BuildKit): hostile variable
 * and label values arrive literally in the image, a user Dockerfile with `# escape=` keeps
 * working with envforge's lines after it, and the pip step sees the netrc secret while the image
 * keeps no trace of it. The conda prefix is a stand-in (a shell script as bin/python that records
 * what it was asked), since only the Dockerfile is under test here.
 */
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { definitionHash } from "../../src/definition/definition-hash.js";
import type { Definition } from "../../src/definition/definition.js";
import { LAYERS_BASE_ARGUMENT, makeRecipe } from "../../src/recipe/make-recipe.js";
import { pipNetrc } from "../../src/recipe/pip-netrc.js";
import type { Recipe } from "../../src/recipe/recipe.js";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";

const run = promisify(execFile);
// The 20.10 client from docker.io (see LOCAL-INFRA.md); a newer one on PATH may lack BuildKit.
const DOCKER = "/usr/bin/docker";
const BASE = { registry: "127.0.0.1:5000", repository: "envforge/debian", tag: "bookworm" };
const BASE_TEXT = `${BASE.registry}/${BASE.repository}:${BASE.tag}`;

const docker = dockerClient();
const engine = await dockerProblem(docker);
const baseMissing =
  engine === undefined
    ? await docker
        .getImage(BASE_TEXT)
        .inspect()
        .then(
          () => undefined,
          () => `the base image ${BASE_TEXT} is missing; run scripts/ci/engines.sh`,
        )
    : engine;
const gate = engineGate("Dockerfile build", baseMissing);

const PASSWORD = "pa55-w0rd-for-the-index";
const HOSTILE = {
  SUBSTITUTION: "$(touch /pwned) `touch /pwned2` ${HOME}",
  QUOTES: "say \"hi\" 'there'",
  BACKSLASH: "C:\\temp\\",
  SPACES: "  a  b  ",
};

// Records each call, and whether /root/.netrc was readable during it, under /opt/envforge/calls.
const FAKE_PYTHON = `#!/bin/sh
mkdir -p /opt/envforge/calls
if [ -s /root/.netrc ]; then saw=netrc; else saw=none; fi
echo "$saw $*" >> /opt/envforge/calls/log
exit 0
`;

function definitionWith(base: Definition["base"]): Definition {
  return {
    kind: "envforge",
    tags: {},
    base,
    conda: {
      channels: ["conda-forge"],
      dependencies: ["python=3.11", "pip"],
      pip: [],
      variables: {},
    },
    pip: {
      requirements: [{ name: "requests", requirement: "requests>=2", hashes: [] }],
      constraints: [],
      indexUrl: `http://builder:${PASSWORD}@127.0.0.1:9/simple`,
      extraIndexUrls: [],
      findLinks: [],
      pre: false,
    },
    apt: [],
    variables: HOSTILE,
    platform: "linux-64",
    python: { userManagedDependencies: false, interpreterPath: "python" },
  };
}

const made: string[] = [];
const tags: string[] = [];
let workdir = "";

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  workdir = await mkdtemp(join(tmpdir(), "envforge-recipe-"));
});

afterAll(async () => {
  for (const tag of tags) await removeImage(docker, tag);
  for (const id of made) await removeImage(docker, id);
  if (workdir !== "") await rm(workdir, { recursive: true, force: true });
});

/** Writes the generated files and the stand-in prefix into `context`. */
async function writeEnvforgeFiles(context: string, recipe: Recipe): Promise<void> {
  for (const file of recipe.generatedFiles) {
    await mkdir(dirname(join(context, file.path)), { recursive: true });
    await writeFile(join(context, file.path), file.content);
  }
  for (const group of recipe.packageGroups) {
    const python = join(context, group.directory, "bin/python");
    await mkdir(dirname(python), { recursive: true });
    await writeFile(python, FAKE_PYTHON);
    await chmod(python, 0o755);
  }
}

/** `docker build` with BuildKit; returns the image id and remembers it for clean-up. */
async function dockerBuild(
  context: string,
  dockerfile: string,
  extra: readonly string[] = [],
): Promise<string> {
  // The CLI reads -f relative to its working directory, not to the context.
  const args = [
    "build",
    "--quiet",
    "--network",
    "host",
    "-f",
    join(context, dockerfile),
    ...extra,
    context,
  ];
  const { stdout } = await run(DOCKER, args, {
    env: { ...process.env, DOCKER_BUILDKIT: "1" },
  }).catch((error: unknown) => {
    const stderr = error instanceof Error && "stderr" in error ? String(error.stderr) : "";
    throw new Error(`docker build of ${context} failed:\n${stderr}`, { cause: error });
  });
  const id = stdout.trim();
  made.push(id);
  return id;
}

/** Builds the recipe in one step, with the netrc secret when the recipe mounts one. */
async function build(name: string, definition: Definition, recipe: Recipe): Promise<string> {
  const context = join(workdir, name);
  await writeEnvforgeFiles(context, recipe);
  const secrets: string[] = [];
  const netrc = pipNetrc(definition);
  if (netrc !== undefined) {
    const secretFile = join(workdir, `${name}.netrc`);
    await writeFile(secretFile, netrc, { mode: 0o600 });
    for (const secret of recipe.buildSecrets)
      secrets.push("--secret", `id=${secret.id},src=${secretFile}`);
  }
  return dockerBuild(context, recipe.dockerfilePath, secrets);
}

async function inspect(
  id: string,
): Promise<{ env: string[]; labels: Record<string, string>; user: string }> {
  const info = await docker.getImage(id).inspect();
  return {
    env: info.Config.Env ?? [],
    labels: info.Config.Labels ?? {},
    user: info.Config.User ?? "",
  };
}

async function shell(id: string, script: string): Promise<string> {
  const { stdout } = await run(DOCKER, [
    "run",
    "--rm",
    "--network",
    "none",
    "--user",
    "root",
    id,
    "sh",
    "-c",
    script,
  ]);
  return stdout;
}

describe.skipIf(gate.skip)("generated Dockerfiles on the Docker engine", () => {
  it("sets hostile variable and label values literally and uses the netrc secret without keeping it", async () => {
    const definition = definitionWith({ kind: "image", image: BASE, defaulted: false });
    const labels = { "org.example.note": 'a "quoted" $(value) \\' };
    const recipe = makeRecipe(definition, { definitionHash: definitionHash(definition), labels });
    const id = await build("image", definition, recipe);

    const image = await inspect(id);
    for (const [name, value] of Object.entries(HOSTILE))
      expect(image.env).toContain(`${name}=${value}`);
    expect(image.labels["org.example.note"]).toBe(labels["org.example.note"]);
    expect(image.labels["dev.envforge.image-hash"]).toBe(recipe.imageHash);

    const calls = await shell(
      id,
      "cat /opt/envforge/calls/log; ls / | grep -c pwned || true; test ! -e /root/.netrc && echo clean",
    );
    const lines = calls.trim().split("\n");
    expect(lines[0]).toMatch(/^none -m compileall /);
    expect(lines[1]).toBe(
      "netrc -m pip install --no-cache-dir --disable-pip-version-check --no-input -r /opt/envforge/requirements.txt",
    );
    expect(lines.slice(2)).toEqual(["0", "clean"]);

    const { stdout: history } = await run(DOCKER, ["history", "--no-trunc", id]);
    expect(history).not.toContain(PASSWORD);
    expect(JSON.stringify(await docker.getImage(id).inspect())).not.toContain(PASSWORD);
  });

  it("appends to a user Dockerfile with a backtick escape and gives the image back to its user", async () => {
    const dockerfile = [
      "# escape=`",
      `FROM ${BASE_TEXT}`,
      "RUN useradd --create-home app `",
      "    && echo made > /home/app/made",
      "USER app",
      "",
    ].join("\n");
    const definition = definitionWith({ kind: "dockerfile", dockerfile });
    const recipe = makeRecipe(definition, { definitionHash: definitionHash(definition) });
    const id = await build("user", definition, recipe);

    const image = await inspect(id);
    expect(image.user).toBe("app");
    for (const [name, value] of Object.entries(HOSTILE))
      expect(image.env).toContain(`${name}=${value}`);
    expect(await shell(id, "cat /home/app/made; wc -l < /opt/envforge/calls/log")).toBe(
      "made\n2\n",
    );
  });

  it("builds a build context in two steps, so COPY . sees only the user's files", async () => {
    const userDockerfile = `FROM ${BASE_TEXT}\nCOPY . /app/\n`;
    const userContext = join(workdir, "two-step-user");
    await mkdir(join(userContext, "src"), { recursive: true });
    await writeFile(join(userContext, "Dockerfile"), userDockerfile);
    await writeFile(join(userContext, "src/main.py"), "print('hi')\n");
    const definition: Definition = {
      ...definitionWith({
        kind: "build",
        contextPath: userContext,
        dockerfilePath: "Dockerfile",
        dockerfile: userDockerfile,
        files: [],
      }),
      pip: undefined,
    };
    const recipe = makeRecipe(definition, { definitionHash: definitionHash(definition) });
    expect(recipe.layersDockerfile).toBeDefined();

    // BuildKit reads FROM as a reference, never as an image id, so the first step is tagged.
    const userTag = `envforge-test-user-stage:${recipe.imageHash}`;
    await dockerBuild(userContext, "Dockerfile", ["--tag", userTag]);
    tags.push(userTag);
    const layersContext = join(workdir, "two-step-layers");
    await writeEnvforgeFiles(layersContext, recipe);
    await writeFile(
      join(layersContext, "envforge/layers.Dockerfile"),
      recipe.layersDockerfile ?? "",
    );
    const id = await dockerBuild(layersContext, "envforge/layers.Dockerfile", [
      "--build-arg",
      `${LAYERS_BASE_ARGUMENT}=${userTag}`,
    ]);

    expect(
      await shell(id, "cd /app && find . -type f | sort; wc -l < /opt/envforge/calls/log"),
    ).toBe("./Dockerfile\n./src/main.py\n1\n");
    expect((await inspect(id)).labels["dev.envforge.image-hash"]).toBe(recipe.imageHash);
  });
});
