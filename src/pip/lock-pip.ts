/**
 * pip requirements → locked wheels, per platform of the conda lock: ranges, extras, markers and
 * transitive dependencies resolved to exact versions, each with its URL and sha256, for the
 * target's python and platform tags (pip-target.ts), by pip's own resolver run isolated on the
 * host (run-pip.ts). A definition that names no --index-url uses the configured default index
 * (host/config.ts: ENVFORGE_PIP_INDEX_URL), which the caller passes in.
 *
 * VCS requirements (`name @ git+URL@ref`) never reach pip's resolver, which would clone them from
 * wherever they point and build them on the host: each is pinned to a commit (lock-vcs.ts) into
 * the lock's `vcs` list, and the build installs that commit from its source (fetch-vcs.ts).
 *
 * Outcomes: `locked`; `unavailable` when the host or an index cannot answer (the lock is made
 * later); a ValidationError when the input cannot be locked anywhere: a requirement that is on
 * no index, one with no wheel for the target (the index and the tags tried are named), one with
 * only source distributions (envforge installs wheels, it never builds them), or requirements
 * that conflict.
 */
import { createHash } from "node:crypto";
import { stripUrlCredentials } from "../definition/definition-hash.js";
import type { Definition } from "../definition/definition.js";
import type { Lock, LockedPipPackage, LockedVcsPackage, PlatformLock } from "../definition/lock.js";
import { normalizePipName } from "../definition/pep503.js";
import { definitionVcsRequirements, isVcsPipLine } from "../definition/vcs-pins.js";
import { ExternalError } from "../errors/index.js";
import type { Problem } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";
import { lockedWheel, wheelsOfReport } from "./pip-report.js";
import type { PipTarget } from "./pip-target.js";
import { describeTags, markerEnvironment, pipTargetOf, targetFlags } from "./pip-target.js";
import { runPipResolver } from "./run-pip.js";
import { pinVcsRequirements } from "./lock-vcs.js";
import type { PinVcsOptions } from "./lock-vcs.js";
import { vcsDependencies } from "./vcs-dependencies.js";

export type PipLockResult =
  | { readonly kind: "locked"; readonly lock: Lock }
  | {
      readonly kind: "unavailable";
      readonly reason: string;
      /** The VCS pins made before the wheels could not be resolved (a lock file keeps them). */
      readonly vcs?: readonly LockedVcsPackage[];
    };

export interface LockPipOptions {
  readonly definition: Definition;
  /** The conda lock: its platforms (python version, glibc) are the targets pip resolves for. */
  readonly lock: Lock;
  /**
   * The target when there is no conda python: the image's own interpreter, as read from the
   * pinned base image (pip-target.ts, pipTargetOfInterpreter). Wins over the conda lock's.
   */
  readonly target?: PipTarget;
  /** pip's index when the definition names no --index-url. */
  readonly defaultIndexUrl?: string;
  /** The host interpreter with pip; default /usr/bin/python3. */
  readonly python?: string;
  /** Injected for tests; default the global fetch (index pages when pip finds nothing). */
  readonly fetch?: typeof globalThis.fetch;
  /** Per request; default 30 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** How git is run to pin VCS requirements (its environment: proxies, HOME for credentials). */
  readonly git?: Omit<PinVcsOptions, "timeoutMs">;
}

export interface PipInputs {
  /** Requirement lines (PEP 508 with their --hash options). */
  readonly requirements: readonly string[];
  /** The index first, then the extra indexes, in pip's order. */
  readonly indexes: readonly string[];
  readonly findLinks: readonly string[];
  readonly pre: boolean;
  /** Other option lines of a conda `pip:` list, passed to pip as written. */
  readonly otherOptions: readonly string[];
  readonly constraints: readonly string[];
}

const INDEX_OPTION = /^(?:--index-url|-i)(?:[=\s]\s*(\S+))?$/;

/**
 * What a definition gives pip's resolver (envforge `pip:` and conda's); `defaultIndexUrl` fills a
 * missing index. VCS requirements are left out (they are pinned to commits, not resolved), and so
 * are folders of the build context (built from its files).
 */
export function pipInputs(definition: Definition, defaultIndexUrl?: string): PipInputs {
  const sub = (definition.conda?.pip ?? [])
    .map((line) => line.trim())
    .filter((line) => !isVcsPipLine(line));
  const subOptions = sub.filter((line) => line.startsWith("-"));
  const option = (names: readonly string[]): string[] =>
    subOptions.flatMap((line) => {
      const match = new RegExp(`^(?:${names.join("|")})[=\\s]\\s*(\\S+)$`).exec(line);
      return match?.[1] === undefined ? [] : [match[1]];
    });
  const pip = definition.pip;
  const index = pip?.indexUrl ?? option(["--index-url", "-i"])[0] ?? defaultIndexUrl;
  const known = /^(?:--index-url|-i|--extra-index-url|--find-links|-f|--pre)(?:[=\s]|$)/;
  return {
    requirements: [
      ...sub.filter((line) => !line.startsWith("-")),
      ...(pip?.requirements ?? [])
        .filter((r) => r.vcs === undefined && r.local === undefined)
        .map((r) => [r.requirement.trim(), ...r.hashes.map((hash) => `--hash=${hash}`)].join(" ")),
    ],
    indexes: [
      ...(index === undefined ? [] : [index]),
      ...(pip?.extraIndexUrls ?? []),
      ...option(["--extra-index-url"]),
    ],
    findLinks: [...(pip?.findLinks ?? []), ...option(["--find-links", "-f"])],
    pre: pip?.pre === true || subOptions.includes("--pre"),
    otherOptions: subOptions.filter((line) => !known.test(line) && !INDEX_OPTION.test(line)),
    constraints: (pip?.constraints ?? []).map((c) =>
      [c.requirement.trim(), ...c.hashes.map((hash) => `--hash=${hash}`)].join(" "),
    ),
  };
}

/** The requirements file pip reads (credentials kept: pip needs them; it is never stored). */
export function pipRequirementsFile(inputs: PipInputs): string {
  const [index, ...extra] = inputs.indexes;
  return `${[
    ...(index === undefined ? [] : [`--index-url ${index}`]),
    ...extra.map((url) => `--extra-index-url ${url}`),
    ...inputs.findLinks.map((url) => `--find-links ${url}`),
    ...(inputs.pre ? ["--pre"] : []),
    ...(inputs.constraints.length > 0 ? ["-c constraints.txt"] : []),
    ...inputs.otherOptions,
    ...inputs.requirements,
  ].join("\n")}\n`;
}

export async function lockPip(options: LockPipOptions): Promise<PipLockResult> {
  const vcs = await vcsPins(options);
  if (typeof vcs === "string") return unavailable(vcs);
  const withVcs: Lock = vcs.pins.length === 0 ? options.lock : { ...options.lock, vcs: vcs.pins };
  const written = pipInputs(options.definition, options.defaultIndexUrl);
  // What the VCS projects declare is resolved with the rest: the build installs them --no-deps.
  const inputs: PipInputs = {
    ...written,
    requirements: [
      ...written.requirements,
      ...vcs.dependencies.filter((line) => !written.requirements.includes(line)),
    ],
  };
  if (inputs.requirements.length === 0) return { kind: "locked", lock: withVcs };
  if (inputs.indexes.length === 0 && inputs.findLinks.length === 0) {
    return unavailable(
      "the pip requirements name no --index-url and no default index is set",
      vcs.pins,
    );
  }
  const platforms: PlatformLock[] = [];
  for (const platform of options.lock.platforms) {
    const target = options.target ?? pipTargetOf(platform);
    if (typeof target === "string") return unavailable(target, vcs.pins);
    const resolved = await resolveFor(target, inputs, options);
    if (typeof resolved === "string") return unavailable(resolved, vcs.pins);
    platforms.push({ ...platform, pip: resolved });
  }
  return { kind: "locked", lock: { ...withVcs, platforms } };
}

/**
 * The definition's VCS requirements pinned to commits, sorted by name, and the dependencies
 * their pyproject.toml declares at those commits (vcs-dependencies.ts); a repository that cannot
 * be asked now is a reason to lock later, a ref it does not have a ValidationError.
 */
async function vcsPins(
  options: LockPipOptions,
): Promise<{ pins: LockedVcsPackage[]; dependencies: string[] } | string> {
  const requirements = definitionVcsRequirements(options.definition);
  if (requirements.length === 0) return { pins: [], dependencies: [] };
  try {
    const pins = await pinVcsRequirements(requirements, {
      ...options.git,
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    const locked = pins.map((pin, i): LockedVcsPackage => {
      const key = requirements[i]?.key ?? "";
      return {
        name: pin.name,
        requirement: key,
        vcs: pin.reference.vcs,
        url: stripUrlCredentials(pin.reference.url),
        commit: pin.commit,
        ...(pin.reference.subdirectory === undefined
          ? {}
          : { subdirectory: pin.reference.subdirectory }),
      };
    });
    const dependencies = await vcsDependencies(
      locked.flatMap((pin, i) => {
        const requirement = requirements[i];
        return requirement === undefined ? [] : [{ pin, requirement }];
      }),
      {
        ...options.git,
        ...(options.python === undefined ? {} : { python: options.python }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        timeoutMs: options.timeoutMs ?? 30_000,
      },
    );
    return {
      pins: locked.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      dependencies,
    };
  } catch (error) {
    if (error instanceof ExternalError) return error.message;
    throw error;
  }
}

/**
 * When the conda part could not be made, pip has no target to resolve for; it still says whether
 * its own sources answer, so one registration names every part that needs attention.
 */
export async function pipWithoutTarget(
  options: Omit<LockPipOptions, "lock">,
): Promise<PipLockResult | undefined> {
  const inputs = pipInputs(options.definition, options.defaultIndexUrl);
  const first = inputs.requirements[0];
  if (first === undefined) return undefined;
  if (inputs.indexes.length === 0 && inputs.findLinks.length === 0) {
    return unavailable("the pip requirements name no --index-url and no default index is set");
  }
  const name = normalizePipName(/^[A-Za-z0-9._-]+/.exec(first)?.[0] ?? first);
  const pages = await Promise.all(inputs.indexes.map((index) => projectPage(index, name, options)));
  const unreachable = pages.flatMap((page) => (page.kind === "unreachable" ? [page.why] : []));
  if (unreachable.length > 0 && unreachable.length === pages.length) {
    return unavailable(unreachable.join("; "));
  }
  return unavailable(
    "pip resolves for the python version and platform of the conda lock, which is not made yet",
  );
}

async function resolveFor(
  target: PipTarget,
  inputs: PipInputs,
  options: LockPipOptions,
): Promise<LockedPipPackage[] | string> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const run = await runPipResolver({
    requirements: pipRequirementsFile(inputs),
    ...(inputs.constraints.length > 0 ? { constraints: `${inputs.constraints.join("\n")}\n` } : {}),
    targetFlags: targetFlags(target),
    markerEnvironment: markerEnvironment(target),
    timeoutMs,
    ...(options.python === undefined ? {} : { python: options.python }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (run.kind === "no-pip") return run.reason;
  if (run.kind === "failed") return await diagnose(run.stderr, target, inputs, options);
  const locked: LockedPipPackage[] = [];
  for (const wheel of wheelsOfReport(run.report)) {
    // An index or find-links page without `#sha256=`: the lock still names the bytes.
    const hashed =
      wheel.sha256 === undefined
        ? await sha256Of(wheel.url, inputs, options)
        : { sha256: wheel.sha256 };
    if ("why" in hashed) return hashed.why;
    locked.push(lockedWheel(wheel, hashed.sha256));
  }
  return locked;
}

/** Why pip found no answer, in envforge's words: a ValidationError, or a reason to retry later. */
async function diagnose(
  stderr: string,
  target: PipTarget,
  inputs: PipInputs,
  options: LockPipOptions,
): Promise<string> {
  // pip's own words from its first ERROR on (a hash mismatch names the file, expected and got
  // on the lines after it), a few lines at most.
  const lines = stderr.split("\n").map((line) => line.trim());
  const first = lines.findIndex((line) => line.startsWith("ERROR:"));
  const errors = (first < 0 ? [] : lines.slice(first))
    .filter((line) => line !== "")
    .slice(0, 8)
    .map((line) => stripUrlCredentials(line.replace(/^ERROR:\s*/, "")));
  const missing = /No matching distribution found for (\S+)/.exec(stderr)?.[1];
  if (missing === undefined) {
    if (/ResolutionImpossible|conflict|do not match the hashes|hash/i.test(stderr)) {
      throw ValidationError.single({
        key: "pip",
        message: `pip cannot resolve the requirements for ${describeTags(target)}`,
        found: errors.join("; ") || lastLines(stderr),
      });
    }
    return `pip could not resolve the requirements: ${errors.join("; ") || lastLines(stderr)}`;
  }
  const name = normalizePipName(/^[A-Za-z0-9._-]+/.exec(missing)?.[0] ?? missing);
  const requirement =
    inputs.requirements.find(
      (line) => normalizePipName(/^[A-Za-z0-9._-]+/.exec(line)?.[0] ?? "") === name,
    ) ?? missing;
  const pages = await Promise.all(inputs.indexes.map((index) => projectPage(index, name, options)));
  const unreachable = pages.filter((page) => page.kind === "unreachable");
  const listed = pages.filter((page) => page.kind === "files");
  if (listed.length === 0 && unreachable.length > 0) {
    return unreachable.map((page) => page.why).join("; ");
  }
  const tried = inputs.indexes.map(stripUrlCredentials).join(", ");
  const problem = ((): Problem => {
    const files = listed.flatMap((page) => page.files);
    const wheels = files.filter((file) => file.endsWith(".whl"));
    if (files.length === 0) {
      return {
        key: "pip",
        message: `pip requirement ${JSON.stringify(requirement)}: ${name} is not on the index (tried ${tried}${inputs.findLinks.length > 0 ? `, find-links ${inputs.findLinks.map(stripUrlCredentials).join(", ")}` : ""})`,
        found: requirement,
        allowed: "a project the index serves",
      };
    }
    if (wheels.length === 0) {
      return {
        key: "pip",
        message: `pip requirement ${JSON.stringify(requirement)}: ${name} has only source distributions (sdists) on ${tried}; envforge installs wheels and never builds them`,
        found: files.slice(0, 5).join(", "),
        allowed: `a wheel for ${describeTags(target)}`,
      };
    }
    return {
      key: "pip",
      message: `pip requirement ${JSON.stringify(requirement)}: no wheel of ${name} for the target on ${tried}; tags tried: ${describeTags(target)}`,
      found: wheels.slice(0, 5).join(", "),
      allowed: `a wheel for ${describeTags(target)}`,
    };
  })();
  throw ValidationError.single(problem);
}

type ProjectPage =
  | { readonly kind: "files"; readonly files: readonly string[] }
  | { readonly kind: "absent" }
  | { readonly kind: "unreachable"; readonly why: string };

async function projectPage(
  index: string,
  name: string,
  options: Pick<LockPipOptions, "fetch" | "timeoutMs" | "signal">,
): Promise<ProjectPage> {
  const page = `${index.replace(/\/+$/, "")}/${name}/`;
  const shown = stripUrlCredentials(page);
  const { target, headers } = withoutCredentials(page);
  try {
    const response = await (options.fetch ?? globalThis.fetch)(target, {
      headers: { accept: "text/html", ...headers },
      signal: deadline(options),
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return { kind: "absent" };
    }
    if (!response.ok) {
      await response.body?.cancel();
      return { kind: "unreachable", why: `pip index ${shown} answered ${response.status}` };
    }
    return { kind: "files", files: links(await response.text()) };
  } catch (error) {
    options.signal?.throwIfAborted();
    return { kind: "unreachable", why: `pip index ${shown} could not be reached: ${why(error)}` };
  }
}

/** sha256 of a wheel whose page gave none, or why it cannot be fetched. */
async function sha256Of(
  url: string,
  inputs: PipInputs,
  options: LockPipOptions,
): Promise<{ readonly sha256: string } | { readonly why: string }> {
  // The report's URL has no credentials; the index option that served it may have some.
  const withLogin = [...inputs.indexes, ...inputs.findLinks]
    .flatMap((base) => (URL.canParse(base) ? [new URL(base)] : []))
    .find((base) => base.username !== "" && new URL(url).host === base.host);
  const full = new URL(url);
  if (withLogin !== undefined) {
    full.username = withLogin.username;
    full.password = withLogin.password;
  }
  const { target, headers } = withoutCredentials(full.href);
  try {
    const response = await (options.fetch ?? globalThis.fetch)(target, {
      headers,
      signal: deadline(options),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return { why: `${stripUrlCredentials(url)} answered ${response.status}` };
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    return { sha256: createHash("sha256").update(bytes).digest("hex") };
  } catch (error) {
    options.signal?.throwIfAborted();
    return { why: `${stripUrlCredentials(url)} could not be fetched: ${why(error)}` };
  }
}

function deadline(options: Pick<LockPipOptions, "timeoutMs" | "signal">): AbortSignal {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  return options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
}

/** The file names a PEP 503 page links to. */
function links(html: string): string[] {
  const found: string[] = [];
  for (const match of html.matchAll(/<a\s[^>]*href\s*=\s*"([^"]*)"[^>]*>([^<]*)<\/a>/gi)) {
    const file = decodeEntities((match[2] ?? "").trim());
    if (file !== "") found.push(file);
  }
  return found;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

function withoutCredentials(url: string): { target: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  if (parsed.username === "" && parsed.password === "") return { target: url, headers: {} };
  const token = Buffer.from(
    `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`,
  ).toString("base64");
  parsed.username = "";
  parsed.password = "";
  return { target: parsed.href, headers: { authorization: `Basic ${token}` } };
}

function why(error: unknown): string {
  const cause = error instanceof Error ? (error.cause ?? error) : error;
  return cause instanceof Error ? cause.message : String(cause);
}

function lastLines(text: string): string {
  return stripUrlCredentials(text.trim().split("\n").slice(-3).join(" "));
}

function unavailable(reason: string, vcs: readonly LockedVcsPackage[] = []): PipLockResult {
  return { kind: "unavailable", reason, ...(vcs.length === 0 ? {} : { vcs }) };
}
