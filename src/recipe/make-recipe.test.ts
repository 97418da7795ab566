import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { definitionHash } from "../definition/definition-hash.js";
import type { Definition } from "../definition/definition.js";
import { imageHash } from "../definition/image-hash.js";
import { CONDA_SOURCE, RECIPE_CASES, lockFor } from "./__fixtures__/definitions.js";
import { makeRecipe } from "./make-recipe.js";
import { PIP_NETRC_SECRET, pipNetrc } from "./pip-netrc.js";
import type { Recipe } from "./recipe.js";

function caseNamed(name: string): (typeof RECIPE_CASES)[number] {
  const found = RECIPE_CASES.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no recipe case ${name}`);
  return found;
}

function recipeOf(name: string): Recipe {
  const c = caseNamed(name);
  return makeRecipe(c.definition, {
    definitionHash: definitionHash(c.definition),
    ...(c.lock === undefined ? {} : { lock: c.lock }),
    ...(c.baseImageDigest === undefined ? {} : { baseImageDigest: c.baseImageDigest }),
  });
}

/** Every text a user or a log can see. */
function ingredients(recipe: Recipe): string {
  return JSON.stringify(recipe);
}

describe("makeRecipe", () => {
  it("names the conda environment and prefix after the definition hash", () => {
    const c = caseNamed("conda-pip-locked");
    const hash = definitionHash(c.definition);
    const recipe = recipeOf("conda-pip-locked");
    expect(recipe.imageHash).toBe(imageHash(hash, c.lock));
    expect(recipe.pythonEnvironment).toEqual({
      interpreterPath: "/opt/envforge/env/bin/python",
      condaEnvironmentName: hash,
      condaEnvironmentPath: "/opt/envforge/env",
    });
  });

  it("uses the user's interpreter when Python is user-managed", () => {
    const recipe = recipeOf("image-user-managed");
    expect(recipe.pythonEnvironment).toEqual({ interpreterPath: "/usr/local/bin/python" });
    expect(recipe.condaSpecification).toBeUndefined();
    expect(recipe.pipRequirements).toBeUndefined();
    expect(recipe.packageGroups).toEqual([]);
    expect(recipe.dockerfile).not.toContain("USER root");
  });

  it("edits the user's conda file: name set, prefix dropped, comments and order kept", () => {
    const recipe = recipeOf("conda-default-image");
    const hash = definitionHash(caseNamed("conda-default-image").definition);
    expect(recipe.condaSpecification).toBe(
      CONDA_SOURCE.replace("name: train", `name: ${hash}`).replace(
        "prefix: /home/me/envs/train\n",
        "",
      ),
    );
  });

  it("generates a conda file when there is no source text", () => {
    const recipe = recipeOf("image-conda-apt-variables");
    const hash = definitionHash(caseNamed("image-conda-apt-variables").definition);
    expect(parse(recipe.condaSpecification ?? "")).toEqual({
      name: hash,
      channels: ["conda-forge"],
      dependencies: ["python=3.11", "numpy", "pip"],
      variables: { MALLOC_ARENA_MAX: "2", OMP_NUM_THREADS: "1" },
    });
  });

  it("writes requirements from the definition without a lock", () => {
    const recipe = recipeOf("pip-only");
    const hash = definitionHash(caseNamed("pip-only").definition);
    expect(recipe.pipRequirements).toBe(
      [
        `# pip requirements of ${hash}`,
        "--index-url https://127.0.0.1:8443/simple",
        "--extra-index-url http://127.0.0.1:8080/extra",
        "-c constraints.txt",
        'fastapi>=0.110; python_version >= "3.8"',
        "torch==2.3.1",
        "",
      ].join("\n"),
    );
    expect(recipe.generatedFiles.map((f) => f.path)).toEqual([
      "envforge/Dockerfile",
      "envforge/requirements.txt",
      "envforge/constraints.txt",
    ]);
  });

  it("pins every pip distribution by URL and hash with a lock, installed by envforge in a layer each", () => {
    const recipe = recipeOf("conda-pip-locked");
    expect(recipe.pipRequirements?.split("\n").slice(1)).toEqual([
      `requests @ http://127.0.0.1:8080/packages/requests-1.0.0-py3-none-any.whl --hash=sha256:${(100).toString(16).padStart(64, "0")}`,
      "",
    ]);
    expect(
      recipe.pipLayers.map((layer) => [layer.directory, layer.packages.map((p) => p.name)]),
    ).toEqual([["envforge/pip/requests/", ["requests"]]]);
    const python = caseNamed("conda-pip-locked")
      .lock?.platforms[0]?.conda.find((p) => p.name === "python")
      ?.version.split(".")
      .slice(0, 2)
      .join(".");
    expect(recipe.pipScheme).toMatchObject({
      interpreter: "/opt/envforge/env/bin/python",
      purelib: `/opt/envforge/env/lib/python${python}/site-packages`,
      scripts: "/opt/envforge/env/bin",
    });
    // The image needs no pip: no pip step, and no requirements file copied into it.
    expect(recipe.dockerfile).toContain("\nCOPY envforge/pip/requests/ /\n");
    expect(recipe.dockerfile).not.toContain("pip install");
    expect(recipe.dockerfile).not.toContain("requirements.txt");
    expect(recipe.context.filter((e) => e.source === "pip-layer").map((e) => e.path)).toEqual([
      "envforge/pip/requests/",
    ]);
  });

  it("lists the whole build context, sorted, with what it knows of each entry", () => {
    const recipe = recipeOf("build-context");
    expect(recipe.context.map((e) => [e.path, e.source])).toEqual([
      ["app/main.py", "user"],
      ["app/run.sh", "user"],
      ["docker/Dockerfile", "user"],
      ["envforge/Dockerfile", "generated"],
      ["envforge/prefix/all/", "conda-prefix"],
    ]);
    const generated = recipe.context.find((e) => e.path === "envforge/Dockerfile");
    expect(generated?.size).toBe(new TextEncoder().encode(recipe.dockerfile).length);
    expect(generated?.sha256).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(recipe.context.find((e) => e.path === "app/run.sh")?.mode).toBe(0o755);
  });

  it("groups locked conda packages into layers and copies each group once", () => {
    const recipe = recipeOf("conda-pip-locked");
    const copies = recipe.dockerfile
      .split("\n")
      .filter((l) => l.startsWith("COPY envforge/prefix/"));
    expect(copies).toHaveLength(recipe.packageGroups.length);
    expect(recipe.packageGroups[0]?.name).toBe("runtime");
    expect(
      recipe.packageGroups.find((g) => g.name === "large-pytorch")?.packages.map((p) => p.name),
    ).toEqual(["pytorch"]);
    const packed = recipe.packageGroups.flatMap((g) => g.packages.map((p) => p.name)).sort();
    expect(packed).toEqual(
      caseNamed("conda-pip-locked")
        .lock?.platforms[0]?.conda.map((p) => p.name)
        .sort(),
    );
  });

  it("tells the builder the base image and the Docker platform", () => {
    expect(recipeOf("conda-pip-locked")).toMatchObject({
      baseImage: `127.0.0.1:5000/envforge/debian:bookworm@sha256:${"1".repeat(64)}`,
      dockerPlatform: "linux/amd64",
    });
    expect(recipeOf("user-dockerfile").baseImage).toBeUndefined();
  });

  it("pins the base image digest from the lock or the option", () => {
    expect(recipeOf("conda-pip-locked").dockerfile).toContain(
      `FROM 127.0.0.1:5000/envforge/debian:bookworm@sha256:${"1".repeat(64)}\n`,
    );
    expect(recipeOf("conda-default-image").dockerfile).toContain(
      "FROM 127.0.0.1:5000/envforge/debian:bookworm\n",
    );
  });

  it("sets the conda environment's variables as activation would, the definition's winning", () => {
    const env = recipeOf("image-conda-apt-variables")
      .dockerfile.split("\n")
      .filter((l) => /^ENV [A-Z_]+="/.test(l));
    expect(env).toEqual([
      'ENV HF_HOME="/cache/huggingface"',
      'ENV MALLOC_ARENA_MAX="2"',
      'ENV OMP_NUM_THREADS="4"',
    ]);
  });

  it("gives the image back to the user of the user's Dockerfile", () => {
    const lines = recipeOf("user-dockerfile").dockerfile.trimEnd().split("\n");
    expect(lines.at(-1)).toBe("USER app");
    expect(lines).toContain("USER root");
  });

  it("is deterministic and independent of list order in the definition", () => {
    const c = caseNamed("image-conda-apt-variables");
    const shuffled: Definition = {
      ...c.definition,
      apt: [...c.definition.apt].reverse(),
      variables: Object.fromEntries(Object.entries(c.definition.variables).reverse()),
    };
    const options = {
      definitionHash: definitionHash(c.definition),
      lock: c.lock!,
      baseImageDigest: c.baseImageDigest!,
    };
    expect(makeRecipe(shuffled, options)).toEqual(makeRecipe(c.definition, options));
  });
});

describe("secrets", () => {
  const secret = "s3cr3t-pa55";
  const definition: Definition = {
    ...caseNamed("pip-only").definition,
    conda: {
      channels: [
        "http://chan:chanpass-77@127.0.0.1:8000/private",
        "http://127.0.0.1:8000/t/tok-999/private",
      ],
      dependencies: ["python=3.10", "pip"],
      pip: [
        "--extra-index-url http://sub:subpass-88@localhost:8081/simple",
        "requests",
        "private-lib @ http://wheel:wheelpass-55@wheels.localhost/private_lib-1.0-py3-none-any.whl",
      ],
      variables: {},
      source: {
        path: "env.yml",
        text: "channels:\n  - http://chan:chanpass-77@127.0.0.1:8000/private\ndependencies:\n  - python=3.10\n  - pip\n  - pip:\n    - --extra-index-url http://sub:subpass-88@localhost:8081/simple\n    - requests\n",
      },
    },
  };
  const hash = definitionHash(definition);
  const passwords = [secret, "chanpass-77", "tok-999", "subpass-88", "wheelpass-55"];

  it.each([
    ["without a lock", undefined],
    [
      "with a lock",
      lockFor(definition, { conda: ["python", "pip"], pip: ["requests", "torch", "fastapi"] }),
    ],
  ])("never puts a credential into any ingredient %s", (_name, lock) => {
    const recipe = makeRecipe(definition, {
      definitionHash: hash,
      ...(lock === undefined ? {} : { lock }),
    });
    const text = ingredients(recipe);
    for (const password of passwords) expect(text).not.toContain(password);
    if (lock === undefined) {
      expect(recipe.dockerfile).toContain(
        `RUN --mount=type=secret,id=${PIP_NETRC_SECRET.id},target=/root/.netrc `,
      );
      expect(recipe.buildSecrets).toEqual([PIP_NETRC_SECRET]);
    } else {
      // envforge downloads the locked wheels itself: no pip in the build, no secret to mount.
      expect(recipe.dockerfile).not.toContain("--mount=type=secret");
      expect(recipe.buildSecrets).toEqual([]);
      expect(recipe.pipLayers.map((layer) => layer.name)).toEqual(["fastapi", "requests", "torch"]);
    }
  });

  it("hands the credentials to the build as a netrc secret instead", () => {
    expect(pipNetrc(definition)).toBe(
      [
        "machine 127.0.0.1 login builder password s3cr3t-pa55",
        "machine localhost login sub password subpass-88",
        "machine wheels.localhost login wheel password wheelpass-55",
        "",
      ].join("\n"),
    );
  });

  it("refuses two different credentials for one host, without showing them", () => {
    const clash: Definition = {
      ...definition,
      conda: {
        ...definition.conda!,
        source: undefined,
        pip: ["--extra-index-url http://x:other-66@127.0.0.1:9/simple"],
      },
    };
    expect(() => pipNetrc(clash)).toThrow(
      'pip: pip index URLs give different credentials for one host, which a build cannot pass to pip (found "127.0.0.1"; allowed: the same user and password in every URL of a host)',
    );
    expect(() => makeRecipe(clash, { definitionHash: definitionHash(clash) })).toThrow(
      /different credentials/,
    );
  });

  it("decodes percent-encoded credentials and quotes what netrc cannot hold bare", () => {
    const encoded: Definition = {
      ...definition,
      conda: undefined,
      pip: { ...definition.pip!, indexUrl: "https://me%40corp:p%20w%22d@127.0.0.1/simple" },
    };
    expect(pipNetrc(encoded)).toBe('machine 127.0.0.1 login me@corp password "p w\\"d"\n');
  });

  it("mounts no secret when no URL has credentials", () => {
    const plain: Definition = {
      ...caseNamed("pip-only").definition,
      pip: { ...caseNamed("pip-only").definition.pip!, indexUrl: "http://127.0.0.1:8080/simple" },
    };
    const recipe = makeRecipe(plain, { definitionHash: definitionHash(plain) });
    expect(recipe.buildSecrets).toEqual([]);
    expect(recipe.dockerfile).not.toContain("--mount");
    expect(pipNetrc(plain)).toBeUndefined();
  });
});

describe("byte compilation", () => {
  const { definition } = caseNamed("conda-default-image");
  const hash = definitionHash(definition);

  it("compiles when the lock has python and noarch python packages, or when there is no lock yet", () => {
    const withNoarch = lockFor(definition, { conda: ["python", "requests"], pip: ["requests"] });
    for (const lock of [withNoarch, undefined]) {
      const recipe = makeRecipe(definition, {
        definitionHash: hash,
        ...(lock === undefined ? {} : { lock }),
      });
      expect(recipe.dockerfile).toMatch(/^RUN \S+\/bin\/python -m compileall /m);
    }
  });

  it("adds no compile step when no conda package lacks its .pyc files (nothing to do, no noise)", () => {
    // python and compiled packages only: a compile step would find nothing, or no site-packages.
    const lock = lockFor(definition, { conda: ["python", "openssl", "numpy"], pip: ["requests"] });
    const recipe = makeRecipe(definition, { definitionHash: hash, lock });
    expect(recipe.dockerfile).not.toContain("compileall");
    // The rest of the recipe is untouched: the conda layers and the pip layer are there.
    expect(recipe.dockerfile).toMatch(/^COPY envforge\/prefix\/runtime\/ \/opt\/envforge\/env\/$/m);
    expect(recipe.dockerfile).toMatch(/^COPY envforge\/pip\/requests\/ \/$/m);
  });

  it("adds no compile step when the lock shows there is no python", () => {
    const lock = lockFor(definition, { conda: ["openssl", "ca-certificates"], pip: ["requests"] });
    const recipe = makeRecipe(definition, { definitionHash: hash, lock });
    expect(recipe.dockerfile).not.toContain("compileall");
    // pip then installs with the image's own interpreter.
    expect(recipe.dockerfile).toMatch(/^RUN python -m pip install /m);
    expect(recipe.pythonEnvironment.interpreterPath).toBe("python");
  });
});
