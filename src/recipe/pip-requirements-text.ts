/**
 * requirements.txt (and constraints.txt) as the image build installs them. With a lock every
 * distribution is pinned by URL and sha256 and installed with `--no-deps`, so pip resolves
 * nothing; without one pip resolves from the definition's requirements and index options.
 * URLs never carry credentials here: the build gets them from a netrc secret (pip-netrc.ts).
 */
import { byCodeUnits } from "../definition/canonical-json.js";
import { stripUrlCredentials } from "../definition/definition-hash.js";
import type { Definition, PipRequirement } from "../definition/definition.js";
import type { Lock } from "../definition/lock.js";

export interface PipFiles {
  readonly requirements: string;
  readonly constraints?: string;
  /** True when installing must not resolve dependencies (everything is pinned by the lock). */
  readonly pinned: boolean;
}

/** Undefined when there is nothing to install with pip. */
export function pipFiles(options: {
  readonly definition: Definition;
  readonly definitionHash: string;
  readonly lock?: Lock;
}): PipFiles | undefined {
  const { definition, definitionHash, lock } = options;
  const subList = definition.conda?.pip ?? [];
  const subOptions = subList.filter((line) => line.startsWith("-"));
  const subRequirements = subList.filter((line) => !line.startsWith("-"));
  const pip = definition.pip;
  // A folder of the build context is installed from the context's files (make-recipe.ts), never
  // from this file; with a lock, so is a VCS requirement, at its pinned commit.
  const requirements = (pip?.requirements ?? []).filter((r) => r.local === undefined);
  if (subRequirements.length === 0 && requirements.length === 0) return undefined;

  if (lock !== undefined) {
    // The lock's wheels: the requirements', and what VCS projects declare (pip/lock-pip.ts).
    const locked = lock.platforms.find((p) => p.platform === definition.platform)?.pip ?? [];
    if (locked.length === 0) return undefined;
    const lines = [...locked]
      .sort((a, b) => byCodeUnits(a.name, b.name))
      .map((p) => `${p.name} @ ${stripUrlCredentials(p.url)} --hash=sha256:${p.sha256}`);
    return {
      requirements: text([
        `# pip distributions of ${definitionHash}, pinned by its lock; installed with --no-deps`,
        ...lines,
      ]),
      pinned: true,
    };
  }

  const optionLines = [
    ...(pip?.indexUrl === undefined ? [] : [`--index-url ${pip.indexUrl}`]),
    ...(pip?.extraIndexUrls ?? []).map((url) => `--extra-index-url ${url}`),
    ...(pip?.findLinks ?? []).map((url) => `--find-links ${url}`),
    ...(pip?.pre === true ? ["--pre"] : []),
    ...subOptions,
  ].map(stripUrlCredentials);
  const constraints = pip?.constraints ?? [];
  const requirementLines = [...subRequirements, ...requirements.map(requirementLine)]
    .map(stripUrlCredentials)
    .sort(byCodeUnits);
  return {
    requirements: text([
      `# pip requirements of ${definitionHash}`,
      ...optionLines,
      ...(constraints.length > 0 ? ["-c constraints.txt"] : []),
      ...requirementLines,
    ]),
    ...(constraints.length > 0
      ? {
          constraints: text([
            `# pip constraints of ${definitionHash}`,
            ...constraints.map(requirementLine).map(stripUrlCredentials).sort(byCodeUnits),
          ]),
        }
      : {}),
    pinned: false,
  };
}

function requirementLine(requirement: PipRequirement): string {
  return [requirement.requirement, ...requirement.hashes.map((h) => `--hash=${h}`)].join(" ");
}

function text(lines: readonly string[]): string {
  return `${lines.join("\n")}\n`;
}
