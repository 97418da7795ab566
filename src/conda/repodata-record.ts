/**
 * One channel subdir's repodata.json, indexed by file name. Records are validated when they are
 * looked up, not all at once: a solve needs a few dozen of thousands, and the solver itself
 * reads the same bytes.
 */
import * as z from "zod";
import { ExternalError } from "../errors/index.js";

/** What the lock needs from a repodata record. */
export interface RepodataRecord {
  readonly filename: string;
  readonly name: string;
  readonly version: string;
  readonly build: string;
  readonly buildNumber: number;
  readonly subdir: string;
  readonly depends: readonly string[];
  readonly constrains: readonly string[];
  readonly sha256?: string;
  readonly md5?: string;
  readonly size?: number;
  readonly noarch?: "python" | "generic";
  /** Set by channels whose packages live elsewhere than `<channel>/<subdir>/`. */
  readonly url?: string;
}

export interface RepodataIndex {
  readonly subdir: string;
  /** repodata v2 `info.base_url`: where this subdir's files are, when not beside it. */
  readonly baseUrl?: string;
  /** Number of records (`packages` + `packages.conda`). */
  readonly size: number;
  record(filename: string): RepodataRecord | undefined;
}

const writtenRecord = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  build: z.string(),
  build_number: z.number().int().nonnegative().default(0),
  subdir: z.string().optional(),
  depends: z.array(z.string()).default([]),
  constrains: z.array(z.string()).default([]),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/)
    .optional(),
  md5: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/)
    .optional(),
  size: z.number().int().nonnegative().optional(),
  // Old repodata writes `noarch: true` for what is now `generic`.
  noarch: z.union([z.enum(["python", "generic"]), z.boolean(), z.null()]).optional(),
  url: z.string().optional(),
});

const writtenRepodata = z.object({
  info: z.object({ subdir: z.string().optional(), base_url: z.string().optional() }).optional(),
  packages: z.record(z.string(), z.unknown()).default({}),
  "packages.conda": z.record(z.string(), z.unknown()).default({}),
});

export interface ParseRepodataOptions {
  /** Channel name and URL of the file, for messages. */
  readonly channel: string;
  readonly url: string;
  readonly subdir: string;
}

/** Parses repodata.json bytes; a body that is not repodata is the channel's fault (ExternalError). */
export function parseRepodata(body: Buffer, options: ParseRepodataOptions): RepodataIndex {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new ExternalError(
      `channel "${options.channel}" served ${options.url}, which is not valid JSON`,
      { cause: error },
    );
  }
  const parsed = writtenRepodata.safeParse(json);
  if (!parsed.success) {
    throw new ExternalError(
      `channel "${options.channel}" served ${options.url}, which is not conda repodata ` +
        `(${parsed.error.issues[0]?.message ?? "unexpected shape"})`,
    );
  }
  const { packages } = parsed.data;
  const condaPackages = parsed.data["packages.conda"];
  const cache = new Map<string, RepodataRecord | undefined>();
  const baseUrl = parsed.data.info?.base_url;
  return {
    subdir: options.subdir,
    ...(baseUrl === undefined ? {} : { baseUrl }),
    size: Object.keys(packages).length + Object.keys(condaPackages).length,
    record(filename) {
      if (cache.has(filename)) return cache.get(filename);
      const raw = Object.hasOwn(condaPackages, filename)
        ? condaPackages[filename]
        : Object.hasOwn(packages, filename)
          ? packages[filename]
          : undefined;
      const record = raw === undefined ? undefined : toRecord(filename, raw, options);
      cache.set(filename, record);
      return record;
    },
  };
}

function toRecord(filename: string, raw: unknown, options: ParseRepodataOptions): RepodataRecord {
  const parsed = writtenRecord.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ExternalError(
      `channel "${options.channel}" has an invalid repodata record for ${filename} in ` +
        `${options.url}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? ""}`.trimEnd(),
    );
  }
  const r = parsed.data;
  const noarch = r.noarch === true ? "generic" : r.noarch === false ? undefined : r.noarch;
  return {
    filename,
    name: r.name,
    version: r.version,
    build: r.build,
    buildNumber: r.build_number,
    subdir: r.subdir ?? options.subdir,
    depends: r.depends,
    constrains: r.constrains,
    ...(r.sha256 === undefined ? {} : { sha256: r.sha256.toLowerCase() }),
    ...(r.md5 === undefined ? {} : { md5: r.md5.toLowerCase() }),
    ...(r.size === undefined ? {} : { size: r.size }),
    ...(noarch === undefined || noarch === null ? {} : { noarch }),
    ...(r.url === undefined ? {} : { url: r.url }),
  };
}
