/**
 * Import of a conda-lock v1 file (`conda-lock.yml`): one `package:` list over all platforms,
 * each entry with manager (conda or pip), platform, url, hash and dependencies as a name→spec
 * map. Optional entries (other categories than main) are left out, as `conda-lock install`
 * leaves them out by default.
 */
import * as z from "zod";
import { ProblemCollector, ValidationError } from "../errors/index.js";
import { stripUrlCredentials } from "../definition/definition-hash.js";
import { LOCK_VERSION } from "../definition/lock.js";
import type {
  Lock,
  LockedCondaPackage,
  LockedPipPackage,
  PlatformLock,
} from "../definition/lock.js";
import { parseYamlSource, problemsFromZodIssues } from "../definition/yaml-source.js";
import { packageFromUrl } from "./explicit-spec.js";

const writtenPackage = z.object({
  name: z.string().min(1),
  version: z.union([z.string(), z.number()]).transform(String),
  manager: z.enum(["conda", "pip"]),
  platform: z.string().min(1),
  dependencies: z.record(z.string(), z.string()).nullish(),
  url: z.string().min(1),
  hash: z.object({ md5: z.string().optional(), sha256: z.string().optional() }),
  optional: z.boolean().default(false),
});

const writtenCondaLock = z.object({
  version: z.literal(1),
  metadata: z.object({
    channels: z.array(z.object({ url: z.string() })).default([]),
    platforms: z.array(z.string()).default([]),
  }),
  package: z.array(writtenPackage),
});

export interface ImportCondaLockOptions {
  readonly text: string;
  readonly file: string;
  /** Hash of the definition the imported lock stands for. */
  readonly definitionHash: string;
}

export function importCondaLock(options: ImportCondaLockOptions): Lock {
  const yaml = parseYamlSource({ path: options.file, text: options.text });
  const parsed = writtenCondaLock.safeParse(yaml.value);
  if (!parsed.success) {
    throw new ValidationError(
      problemsFromZodIssues(parsed.error.issues, { yaml, schema: writtenCondaLock }),
    );
  }
  const problems = new ProblemCollector();
  const byPlatform = new Map<string, { conda: LockedCondaPackage[]; pip: LockedPipPackage[] }>();
  for (const platform of parsed.data.metadata.platforms) byPlatform.set(platform, empty());
  const channels: string[] = [];
  parsed.data.package.forEach((entry, index) => {
    if (entry.optional) return;
    const position = yaml.locate(["package", index]);
    const at = {
      file: options.file,
      key: `package[${index}]`,
      ...(position === undefined ? {} : { line: position.line, column: position.column }),
    };
    const sha256 = entry.hash.sha256?.toLowerCase();
    if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) {
      problems.add({
        ...at,
        message: `${entry.name} has no sha256; envforge locks every package by sha256`,
        found: entry.hash.md5 === undefined ? "no hash" : "only an md5",
        allowed: "hash.sha256 with 64 hex digits",
      });
      return;
    }
    const lists = byPlatform.get(entry.platform) ?? empty();
    byPlatform.set(entry.platform, lists);
    if (entry.manager === "pip") {
      const url = stripUrlCredentials(entry.url);
      const filename = decodeURIComponent(url.split(/[?#]/)[0]?.split("/").pop() ?? "");
      lists.pip.push({
        name: entry.name,
        version: entry.version,
        url,
        sha256,
        ...(filename.endsWith(".whl") ? { filename } : {}),
      });
      return;
    }
    const fromUrl = URL.canParse(entry.url) ? packageFromUrl(entry.url, sha256) : undefined;
    if (fromUrl === undefined || "message" in fromUrl) {
      problems.add({
        ...at,
        message: `${entry.name}: ${fromUrl?.message ?? "not a package URL"}`,
        found: JSON.stringify(entry.url),
      });
      return;
    }
    const depends = Object.entries(entry.dependencies ?? {})
      .map(([name, spec]) => (spec.trim() === "" || spec.trim() === "*" ? name : `${name} ${spec}`))
      .sort();
    const md5 = entry.hash.md5?.toLowerCase();
    lists.conda.push({
      ...fromUrl.pkg,
      version: entry.version,
      depends,
      ...(md5 !== undefined && /^[0-9a-f]{32}$/.test(md5) ? { md5 } : {}),
    });
    if (!channels.includes(fromUrl.channelUrl)) channels.push(fromUrl.channelUrl);
  });
  problems.throwIfAny();
  const platforms: PlatformLock[] = [...byPlatform.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([platform, lists]) => ({
      platform,
      virtualPackages: [],
      conda: lists.conda.sort((a, b) => compare(a.name, b.name) || compare(a.subdir, b.subdir)),
      pip: lists.pip.sort((a, b) => compare(a.name, b.name)),
    }));
  return {
    version: LOCK_VERSION,
    definitionHash: options.definitionHash,
    channels,
    platforms,
  };
}

function empty(): { conda: LockedCondaPackage[]; pip: LockedPipPackage[] } {
  return { conda: [], pip: [] };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
