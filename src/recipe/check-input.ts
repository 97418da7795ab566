/**
 * Refuses every value that could change the meaning of a generated file before any is made: a
 * line break, NUL or other control character would start a new Dockerfile instruction (or a new
 * requirements.txt option), so it is refused wherever it appears; names that reach a Dockerfile
 * unquoted (apt packages, paths, the interpreter, label keys, package group names) must match a
 * strict pattern, which rules out quotes, `$(`, `\` and spaces. Quoted values (ENV and LABEL
 * values) may hold anything else: quoteWord makes them literal. All problems are reported at once.
 */
import type { Problem } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";
import { normalizeContextPath } from "../definition/build-context.js";
import { HASH_PATTERN, stripUrlCredentials } from "../definition/definition-hash.js";
import type { Definition } from "../definition/definition.js";
import { checkImageReference, formatImageReference } from "../definition/image-reference.js";
import { APT_PACKAGE_ALLOWED, isAptPackage } from "../definition/definition-rules.js";
import { DOCKER_PLATFORMS } from "./docker-platform.js";
import { CONTROL_CHARACTER } from "./dockerfile-text.js";
import { PREFIX_DIRECTORY } from "./package-groups.js";
import type { RecipeOptions } from "./recipe.js";
import { readUserDockerfile } from "./user-dockerfile.js";
import { isVcsPipLine, vcsPinChanges } from "../definition/vcs-pins.js";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const INTERPRETER = /^[A-Za-z0-9_./+-]+$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const CONDA_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;
const CONDA_FIELD = /^[A-Za-z0-9_.+!*-]+$/;
const PIP_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const URL = /^(https?|file):\/\/\S+$/;
const HEX64 = /^[a-f0-9]{64}$/;
const COMMIT = /^(?:[a-f0-9]{40}|[a-f0-9]{64}|\d+)$/;
/** A folder inside a repository: no `..`, no absolute path, nothing a shell would read. */
const SUBDIRECTORY = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._/+-]+$/;
const RESERVED_DIRECTORY = "envforge";

export function checkRecipeInput(definition: Definition, options: RecipeOptions): void {
  const problems = recipeInputProblems(definition, options);
  if (problems.length > 0) throw new ValidationError(problems);
}

/**
 * The rules above that depend on the definition alone. Registration runs them too, so a
 * definition that is accepted always yields a recipe (issue 13, point 7).
 */
export function definitionRecipeProblems(definition: Definition): Problem[] {
  return recipeInputProblems(definition, undefined);
}

function recipeInputProblems(
  definition: Definition,
  options: RecipeOptions | undefined,
): Problem[] {
  const problems: Problem[] = [];
  const add = (key: string, message: string, found: string, allowed?: string): void => {
    problems.push({ key, message, found, ...(allowed === undefined ? {} : { allowed }) });
  };
  const show = (value: string): string => JSON.stringify(stripUrlCredentials(value));
  const line = (key: string, value: string): boolean => {
    if (!CONTROL_CHARACTER.test(value)) return true;
    add(key, "contains a line break or control character", show(value), "a single line of text");
    return false;
  };
  const pattern = (key: string, value: string, regex: RegExp, allowed: string): void => {
    if (line(key, value) && !regex.test(value))
      add(key, "is not allowed here", show(value), allowed);
  };

  if (options !== undefined && !HASH_PATTERN.test(options.definitionHash)) {
    add(
      "definitionHash",
      "is not a definition hash",
      show(options.definitionHash),
      "envforge_<32 hex>",
    );
  }
  if (options?.baseImageDigest !== undefined) {
    pattern("baseImageDigest", options.baseImageDigest, DIGEST, "sha256:<64 hex>");
  }
  for (const [key, value] of Object.entries(options?.labels ?? {})) {
    pattern(`labels.${key}`, key, LABEL_KEY, 'letters, digits, ".", "_", "/" and "-"');
    line(`labels.${key}`, value);
  }

  const base = definition.base;
  if (base.kind === "image") {
    const text = formatImageReference(base.image);
    const result = checkImageReference(text);
    if (!result.ok)
      add(
        "base.image",
        `is not a valid image reference: ${result.message}`,
        show(text),
        result.allowed,
      );
    const digest = options?.baseImageDigest ?? options?.lock?.baseImageDigest;
    if (digest !== undefined && base.image.digest !== undefined && digest !== base.image.digest) {
      add(
        "baseImageDigest",
        "differs from the digest in the image reference",
        show(digest),
        base.image.digest,
      );
    }
  } else {
    const user = readUserDockerfile(base.dockerfile);
    if (user.endsInContinuation) {
      add(
        "base.dockerfile",
        "ends with a line continuation, which would swallow the instructions envforge appends",
        show(user.lastLine ?? ""),
        "a Dockerfile whose last instruction is complete",
      );
    }
  }
  if (base.kind === "build") {
    // A folder a pip requirement installs must reach the build (.dockerignore may leave it out).
    definition.pip?.requirements.forEach((r, i) => {
      if (r.local === undefined) return;
      const prefix = r.local.path === "" ? "" : `${r.local.path}/`;
      if (!base.files.some((file) => file.path.startsWith(prefix))) {
        add(
          `pip.requirements[${i}]`,
          `names a folder with no files in the build context (after .dockerignore): ${JSON.stringify(r.local.path || ".")}`,
          show(r.requirement),
          "a folder of the build context holding the project (pyproject.toml or setup.py)",
        );
      }
    });
    contextPath("base.dockerfilePath", base.dockerfilePath, false);
    base.files.forEach((file, i) => {
      contextPath(`base.files[${i}].path`, file.path, true);
      if (file.linkTarget !== undefined) line(`base.files[${i}].linkTarget`, file.linkTarget);
    });
  }

  if (base.kind !== "build") {
    definition.pip?.requirements.forEach((r, i) => {
      if (r.local === undefined) return;
      add(
        `pip.requirements[${i}]`,
        "a local folder can be installed only from a build context, and this definition has none",
        show(r.requirement),
        "a requirement from an index, or build: {path: <folder>} holding the folder",
      );
    });
  }

  // The definition's own rule (definition-rules.ts), so what the parsers accept is what a
  // recipe accepts; checked again here because a Definition can be made without a parser.
  definition.apt.forEach((name, i) => {
    if (line(`apt[${i}]`, name) && !isAptPackage(name)) {
      add(`apt[${i}]`, "is not allowed here", show(name), APT_PACKAGE_ALLOWED);
    }
  });
  for (const [key, value] of Object.entries(definition.variables)) {
    pattern(
      `variables.${key}`,
      key,
      ENV_NAME,
      'letters, digits and "_", not starting with a digit',
    );
    line(`variables.${key}`, value);
  }
  if (DOCKER_PLATFORMS[definition.platform] === undefined) {
    const allowed = Object.keys(DOCKER_PLATFORMS).join(", ");
    add(
      "platform",
      "is not a platform envforge builds images for",
      show(definition.platform),
      allowed,
    );
  }
  pattern(
    "python.interpreterPath",
    definition.python.interpreterPath,
    INTERPRETER,
    'a command or absolute path, e.g. "/usr/bin/python3"',
  );

  const conda = definition.conda;
  if (conda !== undefined) {
    conda.channels.forEach((channel, i) => line(`conda.channels[${i}]`, channel));
    conda.dependencies.forEach((dependency, i) => line(`conda.dependencies[${i}]`, dependency));
    conda.pip.forEach((entry, i) => requirementText(`conda.pip[${i}]`, entry));
    for (const [key, value] of Object.entries(conda.variables)) {
      // They become ENV lines, as `conda activate` would export them.
      pattern(
        `conda.variables.${key}`,
        key,
        ENV_NAME,
        'letters, digits and "_", not starting with a digit',
      );
      line(`conda.variables.${key}`, value);
    }
  }
  const pip = definition.pip;
  if (pip !== undefined) {
    pip.requirements.forEach((r, i) => requirementText(`pip.requirements[${i}]`, r.requirement));
    pip.constraints.forEach((r, i) => requirementText(`pip.constraints[${i}]`, r.requirement));
    const urls = [
      ...(pip.indexUrl === undefined ? [] : [["pip.indexUrl", pip.indexUrl] as const]),
      ...pip.extraIndexUrls.map((u, i) => [`pip.extraIndexUrls[${i}]`, u] as const),
      ...pip.findLinks.map((u, i) => [`pip.findLinks[${i}]`, u] as const),
    ];
    for (const [key, url] of urls) pattern(key, url, URL, "an http(s) or file URL without spaces");
  }

  const lock = options?.lock;
  if (options !== undefined && lock !== undefined) {
    if (lock.definitionHash !== options.definitionHash) {
      add(
        "lock.definitionHash",
        "the lock was resolved from another definition",
        show(lock.definitionHash),
        options.definitionHash,
      );
    }
    const platform = lock.platforms.find((p) => p.platform === definition.platform);
    const needsConda = conda !== undefined && !definition.python.userManagedDependencies;
    if (needsConda && (platform === undefined || platform.conda.length === 0)) {
      add(
        "lock.platforms",
        "holds no conda packages for the definition's platform",
        JSON.stringify(definition.platform),
      );
    }
    // VCS requirements are pinned to commits (lock.vcs) and build-context folders built from
    // their files, not locked as wheels.
    const pipWanted =
      (conda?.pip.some((l) => !l.startsWith("-") && !isVcsPipLine(l)) ?? false) ||
      (pip?.requirements.some((r) => r.vcs === undefined && r.local === undefined) ?? false);
    if (pipWanted && (platform?.pip.length ?? 0) === 0) {
      add(
        "lock.platforms",
        "holds no pip distributions although the definition has pip requirements",
        JSON.stringify(definition.platform),
      );
    }
    platform?.conda.forEach((p, i) => {
      const key = `lock.conda[${i}]`;
      pattern(`${key}.name`, p.name, CONDA_NAME, "a conda package name");
      pattern(`${key}.version`, p.version, CONDA_FIELD, "a conda version");
      pattern(`${key}.build`, p.build, CONDA_FIELD, "a conda build string");
      pattern(`${key}.sha256`, p.sha256, HEX64, "64 lower-case hex digits");
    });
    platform?.pip.forEach((p, i) => {
      const key = `lock.pip[${i}]`;
      pattern(`${key}.name`, p.name, PIP_NAME, "a pip project name");
      pattern(`${key}.version`, p.version, CONDA_FIELD, "a PEP 440 version");
      pattern(`${key}.url`, p.url, URL, "an http(s) or file URL without spaces");
      pattern(`${key}.sha256`, p.sha256, HEX64, "64 lower-case hex digits");
    });
    for (const change of vcsPinChanges(definition, lock)) {
      add("lock.vcs", "does not fit the definition's VCS requirements", change);
    }
    lock.vcs?.forEach((v, i) => {
      const key = `lock.vcs[${i}]`;
      pattern(`${key}.name`, v.name, PIP_NAME, "a pip project name");
      pattern(`${key}.commit`, v.commit, COMMIT, "a full commit id or a revision number");
      if (v.subdirectory !== undefined) {
        pattern(
          `${key}.subdirectory`,
          v.subdirectory,
          SUBDIRECTORY,
          "a folder inside the repository",
        );
      }
    });
    const condaPackages = needsConda ? (platform?.conda ?? []) : [];
    const hasCondaPython = condaPackages.some((p) => p.name === "python");
    const hasPip =
      condaPackages.some((p) => p.name === "pip") ||
      (platform?.pip ?? []).some((p) => p.name === "pip");
    if ((lock.vcs?.length ?? 0) > 0 && hasCondaPython && !hasPip) {
      add(
        "lock.vcs",
        "VCS requirements are built from source by the environment's own pip, and the lock has no pip",
        (lock.vcs ?? []).map((v) => v.name).join(", "),
        "pip (and the projects' build backend, e.g. setuptools and wheel) among the conda dependencies",
      );
    }
  }

  return problems;

  function contextPath(key: string, path: string, reserve: boolean): void {
    if (!line(key, path)) return;
    const result = normalizeContextPath(path);
    if (!result.ok) {
      add(key, result.message, show(path), "a relative path inside the build context");
    } else if (
      reserve &&
      (result.path === RESERVED_DIRECTORY || result.path.startsWith(`${RESERVED_DIRECTORY}/`))
    ) {
      add(
        key,
        `is in the ${RESERVED_DIRECTORY}/ folder, which envforge reserves for its build files (${PREFIX_DIRECTORY}/, the Dockerfile)`,
        show(path),
        `any path outside ${RESERVED_DIRECTORY}/`,
      );
    }
  }

  function requirementText(key: string, text: string): void {
    // pip joins a line ending in `\` with the next one.
    if (line(key, text) && /\\\s*$/.test(text)) {
      add(
        key,
        "ends with a line continuation",
        show(text),
        "a requirement without a trailing backslash",
      );
    }
  }
}
