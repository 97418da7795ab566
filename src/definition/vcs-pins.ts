/**
 * A definition's VCS requirements and the lock's pins of them, matched by the requirement as
 * written (credentials removed): every VCS line needs its pinned commit, and a pin no line asks
 * for is stale. Pure; the pins are made by src/pip/lock-vcs.ts and fetched by src/pip/fetch-vcs.ts.
 */
import { stripUrlCredentials } from "./definition-hash.js";
import type { Definition, PipRequirement } from "./definition.js";
import type { LockContent, LockedVcsPackage } from "./lock.js";
import { checkPipRequirementLines } from "./pip-requirements.js";

/** A VCS requirement of a definition and the key its pin carries (`LockedVcsPackage.requirement`). */
export interface DefinitionVcsRequirement extends PipRequirement {
  readonly vcs: NonNullable<PipRequirement["vcs"]>;
  readonly key: string;
}

/** The key of a requirement text: trimmed, URL credentials removed (a lock never holds them). */
export function vcsPinKey(requirement: string): string {
  return stripUrlCredentials(requirement.trim());
}

/**
 * Every VCS requirement of the definition: its `pip:` (envforge.yaml, a requirements file) and
 * its conda file's `pip:` list (where `-e git+…` is one too), in the order written.
 */
export function definitionVcsRequirements(definition: Definition): DefinitionVcsRequirement[] {
  const condaLines = definition.conda?.pip ?? [];
  // The definition was validated when it was read: problems here were reported then.
  const fromConda =
    condaLines.length === 0
      ? []
      : checkPipRequirementLines(condaLines, { path: "conda pip" }).value.requirements;
  const found: DefinitionVcsRequirement[] = [];
  for (const requirement of [...fromConda, ...(definition.pip?.requirements ?? [])]) {
    if (requirement.vcs === undefined) continue;
    found.push({ ...requirement, vcs: requirement.vcs, key: vcsPinKey(requirement.requirement) });
  }
  return found;
}

/** True when a conda `pip:` line is a VCS requirement (bare, `name @ …`, or `-e …`). */
export function isVcsPipLine(line: string): boolean {
  const text = line.trim();
  if (text === "") return false;
  const parsed = checkPipRequirementLines([text], { path: "conda pip" }).value.requirements;
  return parsed.some((requirement) => requirement.vcs !== undefined);
}

/** The pin of each VCS requirement, in the definition's order; a missing one is undefined. */
export function pinsOf(
  definition: Definition,
  lock: Pick<LockContent, "vcs">,
): { readonly requirement: DefinitionVcsRequirement; readonly pin?: LockedVcsPackage }[] {
  const pins = new Map((lock.vcs ?? []).map((pin) => [pin.requirement, pin]));
  return definitionVcsRequirements(definition).map((requirement) => {
    const pin = pins.get(requirement.key);
    return pin === undefined ? { requirement } : { requirement, pin };
  });
}

/**
 * Why the lock's pins do not fit the definition, one line each: a VCS requirement without its
 * commit (`pip requirement "x @ git+…@main" has no pinned commit in the lock`), or a pin of a
 * requirement the definition no longer has.
 */
export function vcsPinChanges(definition: Definition, lock: Pick<LockContent, "vcs">): string[] {
  const matched = pinsOf(definition, lock);
  const wanted = new Set(matched.map((m) => m.requirement.key));
  return [
    ...matched
      .filter((m) => m.pin === undefined)
      .map(
        (m) =>
          `VCS requirement ${JSON.stringify(m.requirement.key)} has no pinned commit in the lock`,
      ),
    ...(lock.vcs ?? [])
      .filter((pin) => !wanted.has(pin.requirement))
      .map(
        (pin) =>
          `the lock pins VCS requirement ${JSON.stringify(pin.requirement)}, which the definition does not have`,
      ),
  ];
}
