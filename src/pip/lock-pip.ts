/**
 * pip requirements → locked distributions, for the cases that need no resolver: every
 * requirement an exact pin (`name==version`, no extras or markers) and a pure-Python wheel of it
 * on a PEP 503 index, with its sha256 in the link. The build installs these with --no-deps, so
 * a pin whose wheel needs other projects must list them too. Anything else is `unavailable` (with
 * the reason) until pip resolution exists. A definition that names no --index-url uses the
 * configured default index (host/config.ts: ENVFORGE_PIP_INDEX_URL, else pip's own), which the
 * caller passes in.
 */
import { stripUrlCredentials } from "../definition/definition-hash.js";
import type { Definition } from "../definition/definition.js";
import type { Lock, LockedPipPackage } from "../definition/lock.js";
import { normalizePipName } from "../definition/pep503.js";

export type PipLockResult =
  | { readonly kind: "locked"; readonly pip: readonly LockedPipPackage[] }
  | { readonly kind: "unavailable"; readonly reason: string };

export interface LockPipOptions {
  readonly definition: Definition;
  /**
   * pip's index when the definition names no --index-url (extra indexes are searched after it,
   * as pip does). Without it such requirements are `unavailable`.
   */
  readonly defaultIndexUrl?: string;
  /** Injected for tests; default the global fetch. */
  readonly fetch?: typeof globalThis.fetch;
  /** Per request; default 30 s. */
  readonly timeoutMs?: number;
}

const EXACT_PIN = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*===?\s*([A-Za-z0-9.+!_-]+)$/;
const PURE_TAGS = new Set(["py3-none-any", "py2.py3-none-any"]);

/**
 * The requirement lines and index URLs a definition gives pip (envforge `pip:` and conda's);
 * `defaultIndexUrl` stands in for a missing --index-url.
 */
export function pipInputs(
  definition: Definition,
  defaultIndexUrl?: string,
): {
  readonly requirements: readonly string[];
  readonly indexes: readonly string[];
} {
  const sub = definition.conda?.pip ?? [];
  const option = (name: string): string[] =>
    sub.flatMap((line) => {
      const match = new RegExp(`^${name}[=\\s]\\s*(\\S+)`).exec(line.trim());
      return match?.[1] === undefined ? [] : [match[1]];
    });
  const pip = definition.pip;
  const index = pip?.indexUrl ?? option("--index-url")[0] ?? option("-i")[0] ?? defaultIndexUrl;
  return {
    requirements: [
      ...sub.filter((line) => !line.trim().startsWith("-")).map((line) => line.trim()),
      ...(pip?.requirements ?? []).map((r) => r.requirement.trim()),
    ],
    indexes: [
      ...(index === undefined ? [] : [index]),
      ...(pip?.extraIndexUrls ?? []),
      ...option("--extra-index-url"),
    ],
  };
}

export async function lockPip(options: LockPipOptions): Promise<PipLockResult> {
  const { requirements, indexes } = pipInputs(options.definition, options.defaultIndexUrl);
  if (requirements.length === 0) return { kind: "locked", pip: [] };
  if (indexes.length === 0) {
    return unavailable("the pip requirements name no --index-url and no default index is set");
  }
  const pins: { name: string; version: string }[] = [];
  for (const requirement of requirements) {
    const match = EXACT_PIN.exec(requirement);
    if (match?.[1] === undefined || match[2] === undefined) {
      return unavailable(
        `pip requirement ${JSON.stringify(requirement)} is not an exact pin (name==version); only those are locked at registration so far`,
      );
    }
    pins.push({ name: normalizePipName(match[1]), version: match[2] });
  }
  const locked: LockedPipPackage[] = [];
  for (const pin of pins) {
    const found = await findWheel(pin, indexes, options);
    if (typeof found === "string") return unavailable(found);
    locked.push(found);
  }
  locked.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { kind: "locked", pip: locked };
}

/** The pure wheel of `pin` on the first index that has one, or why there is none. */
async function findWheel(
  pin: { readonly name: string; readonly version: string },
  indexes: readonly string[],
  options: LockPipOptions,
): Promise<LockedPipPackage | string> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const tried: string[] = [];
  for (const index of indexes) {
    const page = `${index.replace(/\/+$/, "")}/${pin.name}/`;
    const shown = stripUrlCredentials(page);
    const { target, headers } = withoutCredentials(page);
    let html: string;
    try {
      const response = await fetchImpl(target, {
        headers: { accept: "text/html", ...headers },
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      if (response.status === 404) {
        await response.body?.cancel();
        tried.push(`${shown} (404)`);
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        return `pip index ${shown} answered ${response.status}`;
      }
      html = await response.text();
    } catch (error) {
      const why = error instanceof Error ? (error.cause ?? error) : error;
      return `pip index ${shown} could not be reached: ${why instanceof Error ? why.message : String(why)}`;
    }
    for (const link of links(html)) {
      const wheel = /^(.+?)-([^-]+)-((?:[^-]+)-(?:[^-]+)-(?:[^-]+))\.whl$/.exec(link.file);
      if (wheel?.[1] === undefined || wheel[2] === undefined || wheel[3] === undefined) continue;
      if (normalizePipName(wheel[1]) !== pin.name || wheel[2] !== pin.version) continue;
      if (!PURE_TAGS.has(wheel[3])) continue;
      const url = new URL(link.href, target);
      const sha256 = /(?:^|&)sha256=([0-9a-f]{64})(?:&|$)/.exec(url.hash.slice(1))?.[1];
      if (sha256 === undefined) return `pip index ${shown} gives no sha256 for ${link.file}`;
      url.hash = "";
      return {
        name: pin.name,
        version: pin.version,
        url: stripUrlCredentials(url.href),
        sha256,
      };
    }
    tried.push(`${shown} (no pure-Python wheel of ${pin.version})`);
  }
  return `pip ${pin.name}==${pin.version} was not found: ${tried.join(", ")}`;
}

function links(html: string): { href: string; file: string }[] {
  const found: { href: string; file: string }[] = [];
  for (const match of html.matchAll(/<a\s[^>]*href\s*=\s*"([^"]*)"[^>]*>([^<]*)<\/a>/gi)) {
    const href = decodeEntities(match[1] ?? "");
    const file = decodeEntities((match[2] ?? "").trim());
    if (href !== "" && file !== "") found.push({ href, file });
  }
  return found;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}

function withoutCredentials(url: string): {
  target: string;
  headers: Record<string, string>;
} {
  const parsed = new URL(url);
  if (parsed.username === "" && parsed.password === "") return { target: url, headers: {} };
  const token = Buffer.from(
    `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`,
  ).toString("base64");
  parsed.username = "";
  parsed.password = "";
  return { target: parsed.href, headers: { authorization: `Basic ${token}` } };
}

function unavailable(reason: string): PipLockResult {
  return { kind: "unavailable", reason };
}

/** The lock with its pip part filled in, on every platform (pip wheels here are pure Python). */
export function withLockedPip(lock: Lock, pip: readonly LockedPipPackage[]): Lock {
  if (pip.length === 0) return lock;
  return { ...lock, platforms: lock.platforms.map((platform) => ({ ...platform, pip })) };
}
