/**
 * What an extracted package says about itself: info/index.json, info/paths.json (or, for old
 * packages, info/files + info/has_prefix + info/no_link), and info/link.json (noarch python entry
 * points). Read and validated once; the linker only sees the readonly model.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import * as z from "zod";
import { ExternalError } from "../errors/index.js";

export type PathType = "hardlink" | "softlink" | "directory";
export type FileMode = "text" | "binary";

export interface PackagePath {
  /** Relative to the package root, `/`-separated. */
  readonly path: string;
  readonly pathType: PathType;
  readonly sha256?: string;
  readonly size?: number;
  readonly prefixPlaceholder?: string;
  readonly fileMode?: FileMode;
  readonly noLink?: boolean;
}

export interface PackageIndex {
  readonly name: string;
  readonly version: string;
  readonly build: string;
  readonly buildNumber: number;
  readonly depends: readonly string[];
  readonly constrains: readonly string[];
  readonly subdir?: string;
  readonly noarch?: string;
  /** index.json as written, for the fields conda copies into conda-meta (license, timestamp…). */
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface PackageFiles {
  readonly index: PackageIndex;
  readonly paths: readonly PackagePath[];
  /** `noarch: python` entry points as written: `name = module:function`. */
  readonly entryPoints: readonly string[];
  /** Whether paths came from paths.json (else from the older files, or from the folder). */
  readonly source: "paths.json" | "info/files" | "folder";
}

const WrittenIndex = z.looseObject({
  name: z.string().min(1),
  version: z.string().min(1),
  build: z.string(),
  build_number: z.number().int().nonnegative().optional(),
  depends: z.array(z.string()).optional(),
  constrains: z.array(z.string()).optional(),
  subdir: z.string().optional(),
  noarch: z.union([z.string(), z.boolean(), z.null()]).optional(),
});

const WrittenPathsJson = z.object({
  paths_version: z.number().optional(),
  paths: z.array(
    z.looseObject({
      _path: z.string().min(1),
      path_type: z.enum(["hardlink", "softlink", "directory"]).optional(),
      sha256: z.string().optional(),
      size_in_bytes: z.number().int().nonnegative().optional(),
      prefix_placeholder: z.string().optional(),
      file_mode: z.enum(["text", "binary"]).optional(),
      no_link: z.boolean().optional(),
    }),
  ),
});

const WrittenLinkJson = z.looseObject({
  noarch: z
    .looseObject({
      type: z.string().optional(),
      entry_points: z.array(z.string()).optional(),
    })
    .optional(),
});

/** Reads the info/ folder of an extracted package. `label` names the package in messages. */
export async function readPackageFiles(dir: string, label: string): Promise<PackageFiles> {
  const index = parseJson(
    WrittenIndex,
    await readInfo(dir, "index.json", label),
    "index.json",
    label,
  );
  if (index === undefined) throw new ExternalError(`${label}: info/index.json is missing`);

  const linkJson = parseJson(
    WrittenLinkJson,
    await readInfo(dir, "link.json", label),
    "link.json",
    label,
  );
  const noarch =
    typeof index.noarch === "string" ? index.noarch : index.noarch === true ? "generic" : undefined;

  const paths = await readPaths(dir, label);
  return {
    index: {
      name: index.name,
      version: index.version,
      build: index.build,
      buildNumber: index.build_number ?? 0,
      depends: index.depends ?? [],
      constrains: index.constrains ?? [],
      ...(index.subdir === undefined ? {} : { subdir: index.subdir }),
      ...(noarch === undefined ? {} : { noarch }),
      raw: index,
    },
    paths: paths.paths,
    entryPoints: linkJson?.noarch?.entry_points ?? [],
    source: paths.source,
  };
}

async function readPaths(
  dir: string,
  label: string,
): Promise<{ paths: PackagePath[]; source: PackageFiles["source"] }> {
  const pathsJson = parseJson(
    WrittenPathsJson,
    await readInfo(dir, "paths.json", label),
    "paths.json",
    label,
  );
  if (pathsJson !== undefined) {
    return {
      source: "paths.json",
      paths: pathsJson.paths.map((entry) => ({
        path: entry._path,
        pathType: entry.path_type ?? "hardlink",
        ...(entry.sha256 === undefined ? {} : { sha256: entry.sha256 }),
        ...(entry.size_in_bytes === undefined ? {} : { size: entry.size_in_bytes }),
        ...(entry.prefix_placeholder === undefined
          ? {}
          : { prefixPlaceholder: entry.prefix_placeholder, fileMode: entry.file_mode ?? "text" }),
        ...(entry.no_link === true ? { noLink: true } : {}),
      })),
    };
  }
  const files = await readInfo(dir, "files", label);
  if (files !== undefined) {
    const placeholders = parseHasPrefix(await readInfo(dir, "has_prefix", label));
    const noLink = new Set(lines(await readInfo(dir, "no_link", label)));
    return {
      source: "info/files",
      paths: lines(files).map((path) => {
        const placeholder = placeholders.get(path);
        return {
          path,
          pathType: "hardlink",
          ...(placeholder === undefined ? {} : placeholder),
          ...(noLink.has(path) ? { noLink: true } : {}),
        };
      }),
    };
  }
  // Some packages (rattler's sparse test set) carry neither: take what the archive unpacked.
  return { source: "folder", paths: await listPayload(dir) };
}

/** info/has_prefix lines: `<placeholder> <text|binary> <path>`, or just `<path>` (text, default). */
function parseHasPrefix(
  text: string | undefined,
): Map<string, { prefixPlaceholder: string; fileMode: FileMode }> {
  const result = new Map<string, { prefixPlaceholder: string; fileMode: FileMode }>();
  for (const line of lines(text)) {
    const parts = line.split(" ");
    if (parts.length >= 3 && (parts[1] === "text" || parts[1] === "binary")) {
      result.set(parts.slice(2).join(" "), {
        prefixPlaceholder: parts[0] ?? "",
        fileMode: parts[1],
      });
    } else {
      result.set(line, { prefixPlaceholder: "/opt/anaconda1anaconda2anaconda3", fileMode: "text" });
    }
  }
  return result;
}

async function listPayload(dir: string): Promise<PackagePath[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => ({
      path: relative(dir, join(entry.parentPath, entry.name)).split("\\").join("/"),
      pathType: entry.isSymbolicLink() ? ("softlink" as const) : ("hardlink" as const),
    }))
    .filter((entry) => !entry.path.startsWith("info/"))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function readInfo(dir: string, name: string, label: string): Promise<string | undefined> {
  try {
    return await readFile(join(dir, "info", name), "utf8");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw new ExternalError(`${label}: cannot read info/${name}`, { cause: error });
  }
}

function parseJson<T>(
  schema: z.ZodType<T>,
  text: string | undefined,
  name: string,
  label: string,
): T | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ExternalError(`${label}: info/${name} is not valid JSON`, { cause: error });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where =
      issue === undefined ? "" : ` at ${issue.path.join(".") || "top level"}: ${issue.message}`;
    throw new ExternalError(`${label}: info/${name} is not a valid conda ${name}${where}`);
  }
  return parsed.data;
}

function lines(text: string | undefined): string[] {
  return (text ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

function isMissing(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT";
}
