/**
 * Definitions and locks for the recipe tests, one per kind of environment. Built the way the
 * parsers build them (assemble-definition.ts), written out so each golden file has a readable
 * source.
 */
import { definitionHash } from "../../definition/definition-hash.js";
import type { Definition } from "../../definition/definition.js";
import type { Lock, LockedCondaPackage } from "../../definition/lock.js";

const CHANNEL = "http://127.0.0.1:8000/conda-forge";
const MIB = 1024 * 1024;

export const BASE_DIGEST = `sha256:${"1".repeat(64)}`;

function conda(name: string, version: string, build: string, size: number, n: number): LockedCondaPackage {
  const filename = `${name}-${version}-${build}.conda`;
  // conda-forge's `pyh…` builds are noarch: python, as in a real lock (they get .pyc files at
  // build time, see the compile step in dockerfile.ts).
  const noarch = build.startsWith("pyh");
  const subdir = noarch ? "noarch" : "linux-64";
  return {
    name,
    version,
    build,
    buildNumber: 0,
    channel: "conda-forge",
    subdir,
    filename,
    url: `${CHANNEL}/${subdir}/${filename}`,
    sha256: n.toString(16).padStart(64, "0"),
    size,
    depends: [],
    constrains: [],
    ...(noarch ? { noarch: "python" as const } : {}),
  };
}

export const LOCKED_CONDA: readonly LockedCondaPackage[] = [
  conda("_libgcc_mutex", "0.1", "conda_forge", 3 * 1024, 1),
  conda("ca-certificates", "2024.8.30", "hbcca054_0", 155 * 1024, 2),
  conda("libgcc", "14.1.0", "h77fa898_1", 830 * 1024, 3),
  conda("openssl", "3.3.2", "hb9d3cd8_0", 2.8 * MIB, 4),
  conda("python", "3.11.9", "hb806964_0_cpython", 29 * MIB, 5),
  conda("numpy", "1.26.4", "py311h64a7726_0", 7.7 * MIB, 6),
  conda("libopenblas", "0.3.27", "pthreads_hac2b453_1", 5.3 * MIB, 7),
  conda("pytorch", "2.3.1", "cpu_generic_py311", 180 * MIB, 8),
  conda("pip", "24.2", "pyh8b19718_1", 1.2 * MIB, 9),
  conda("requests", "2.32.3", "pyhd8ed1ab_0", 57 * 1024, 10),
  conda("setuptools", "73.0.1", "pyhd8ed1ab_0", 1.4 * MIB, 11),
];

const PYTHON = { userManagedDependencies: false, interpreterPath: "python" } as const;
const DEFAULT_IMAGE = {
  kind: "image",
  image: { registry: "127.0.0.1:5000", repository: "envforge/debian", tag: "bookworm" },
  defaulted: true,
} as const;

export const CONDA_SOURCE = `# Training environment
name: train # renamed by envforge
channels:
  - conda-forge
dependencies:
  - python=3.11 # the interpreter
  - numpy>=1.26
  - pytorch
  - pip
  - pip:
      - requests>=2.31
prefix: /home/me/envs/train
`;

const condaDefinition: Definition = {
  kind: "conda",
  name: "train",
  tags: {},
  base: DEFAULT_IMAGE,
  conda: {
    name: "train",
    channels: ["conda-forge"],
    dependencies: ["python=3.11", "numpy>=1.26", "pytorch", "pip"],
    pip: ["requests>=2.31"],
    variables: {},
    prefix: "/home/me/envs/train",
    source: { path: "environment.yml", text: CONDA_SOURCE },
  },
  apt: [],
  variables: {},
  platform: "linux-64",
  python: PYTHON,
};

const pipOnly: Definition = {
  kind: "pip",
  tags: {},
  base: DEFAULT_IMAGE,
  conda: { channels: ["defaults"], dependencies: ["python=3.10", "pip"], pip: [], variables: {} },
  pip: {
    requirements: [
      { name: "torch", requirement: "torch==2.3.1", hashes: [] },
      { name: "fastapi", requirement: 'fastapi>=0.110; python_version >= "3.8"', hashes: [] },
    ],
    constraints: [{ name: "pydantic", requirement: "pydantic<3", hashes: [] }],
    indexUrl: "https://builder:s3cr3t-pa55@127.0.0.1:8443/simple",
    extraIndexUrls: ["http://127.0.0.1:8080/extra"],
    findLinks: [],
    pre: false,
  },
  apt: [],
  variables: {},
  platform: "linux-64",
  python: PYTHON,
};

const imageUserManaged: Definition = {
  kind: "image",
  tags: {},
  base: {
    kind: "image",
    image: { registry: "127.0.0.1:5000", repository: "library/python", tag: "3.12-slim" },
    defaulted: false,
  },
  apt: [],
  variables: { PYTHONUNBUFFERED: "1", GREETING: 'say "hi" to $USER \\o/' },
  platform: "linux-64",
  python: { userManagedDependencies: true, interpreterPath: "/usr/local/bin/python" },
};

const imageCondaApt: Definition = {
  kind: "envforge",
  name: "vision",
  tags: { team: "cv" },
  base: {
    kind: "image",
    image: { registry: "127.0.0.1:5000", repository: "envforge/ubuntu", tag: "22.04" },
    defaulted: false,
  },
  conda: {
    channels: ["conda-forge"],
    dependencies: ["python=3.11", "numpy", "pip"],
    pip: [],
    variables: { MALLOC_ARENA_MAX: "2", OMP_NUM_THREADS: "1" },
  },
  apt: ["libgl1", "curl", "libglib2.0-0", "curl"],
  variables: { OMP_NUM_THREADS: "4", HF_HOME: "/cache/huggingface" },
  platform: "linux-64",
  python: PYTHON,
};

const USER_DOCKERFILE = `FROM 127.0.0.1:5000/library/ubuntu:22.04
RUN useradd --create-home app
USER app
WORKDIR /home/app
`;

const userDockerfile: Definition = {
  kind: "dockerfile",
  tags: {},
  base: { kind: "dockerfile", dockerfile: USER_DOCKERFILE },
  conda: { channels: ["conda-forge"], dependencies: ["python=3.11", "numpy"], pip: [], variables: {} },
  apt: [],
  variables: {},
  platform: "linux-64",
  python: PYTHON,
};

const CONTEXT_DOCKERFILE = "# escape=`\nFROM 127.0.0.1:5000/library/debian:bookworm\nCOPY app/ /app/\nRUN echo built `\n    > /app/built.txt\n";

const buildContext: Definition = {
  kind: "build-context",
  tags: {},
  base: {
    kind: "build",
    contextPath: "/home/me/project",
    dockerfilePath: "docker/Dockerfile",
    dockerfile: CONTEXT_DOCKERFILE,
    files: [
      { path: "app/main.py", size: 120, sha256: `sha256:${"a".repeat(64)}`, mode: 0o644 },
      { path: "app/run.sh", size: 40, sha256: `sha256:${"b".repeat(64)}`, mode: 0o755 },
      { path: "docker/Dockerfile", size: CONTEXT_DOCKERFILE.length, sha256: `sha256:${"c".repeat(64)}`, mode: 0o644 },
    ],
  },
  conda: { channels: ["conda-forge"], dependencies: ["python=3.11"], pip: [], variables: {} },
  apt: [],
  variables: { APP_HOME: "/app" },
  platform: "linux-64",
  python: PYTHON,
};

/** A lock for `definition` holding the named conda packages of LOCKED_CONDA and pip packages. */
export function lockFor(
  definition: Definition,
  options: { conda: readonly string[]; pip?: readonly string[]; baseImageDigest?: string },
): Lock {
  return {
    version: 1,
    definitionHash: definitionHash(definition),
    channels: [CHANNEL],
    platforms: [
      {
        platform: "linux-64",
        virtualPackages: ["__glibc=2.36", "__unix=0"],
        conda: LOCKED_CONDA.filter((p) => options.conda.includes(p.name)),
        pip: (options.pip ?? []).map((name, i) => ({
          name,
          version: "1.0.0",
          url: `http://127.0.0.1:8080/packages/${name}-1.0.0-py3-none-any.whl`,
          sha256: (100 + i).toString(16).padStart(64, "0"),
        })),
      },
    ],
    ...(options.baseImageDigest === undefined ? {} : { baseImageDigest: options.baseImageDigest }),
  };
}

const ALL_CONDA = LOCKED_CONDA.map((p) => p.name);

export interface RecipeCase {
  readonly name: string;
  readonly definition: Definition;
  readonly lock?: Lock;
  readonly baseImageDigest?: string;
}

/** Each case becomes src/recipe/__golden__/<name>.Dockerfile. */
export const RECIPE_CASES: readonly RecipeCase[] = [
  { name: "conda-default-image", definition: condaDefinition },
  {
    name: "conda-pip-locked",
    definition: condaDefinition,
    lock: lockFor(condaDefinition, { conda: ALL_CONDA, pip: ["requests"], baseImageDigest: BASE_DIGEST }),
  },
  { name: "pip-only", definition: pipOnly },
  {
    name: "pip-only-locked",
    definition: pipOnly,
    lock: lockFor(pipOnly, { conda: ["python", "pip", "openssl", "ca-certificates"], pip: ["fastapi", "pydantic", "torch"] }),
  },
  { name: "image-user-managed", definition: imageUserManaged },
  {
    name: "image-conda-apt-variables",
    definition: imageCondaApt,
    lock: lockFor(imageCondaApt, { conda: ["python", "numpy", "libopenblas", "pip", "openssl", "libgcc"] }),
    baseImageDigest: BASE_DIGEST,
  },
  { name: "user-dockerfile", definition: userDockerfile },
  { name: "build-context", definition: buildContext },
];
