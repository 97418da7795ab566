/**
 * pixi's lock file (`pixi.lock`, version 6, as rattler_lock writes it), both ways, with no solve:
 * an environment lists, per platform, the URL of each conda package and pip wheel it holds; a
 * top-level `packages:` list holds each package once, keyed by that URL (`conda:` or `pypi:`).
 *
 * A conda entry names what its file name cannot: sha256, md5, depends, constrains, size, and
 * `build_number`/`noarch` only where they differ from what rattler derives from the URL (the
 * trailing digits of the build string; noarch python when a `noarch/` build string holds `py`).
 * A pypi entry has name, version and sha256. What envforge cannot install from is refused on
 * import, naming the entry: a conda package or wheel without sha256, a pypi entry that is a path
 * (a source tree pixi builds, `pypi: .`), an environment the file does not have.
 */
import { stringify } from "yaml";
import * as z from "zod";
import { stripUrlCredentials } from "../definition/definition-hash.js";
import { LOCK_VERSION } from "../definition/lock.js";
import type {
  Lock,
  LockContent,
  LockedCondaPackage,
  LockedPipPackage,
  PlatformLock,
} from "../definition/lock.js";
import { parseYamlSource, problemsFromZodIssues } from "../definition/yaml-source.js";
import { ProblemCollector, ValidationError } from "../errors/index.js";
import { packageFromUrl } from "./explicit-spec.js";

/** The environment envforge writes and, unless told otherwise, reads. */
export const PIXI_ENVIRONMENT = "default";

export function formatPixiLock(lock: LockContent): string {
  const platforms = [...lock.platforms].sort((a, b) => compare(a.platform, b.platform));
  const conda = new Map<string, LockedCondaPackage>();
  const pip = new Map<string, LockedPipPackage>();
  for (const p of platforms) {
    for (const c of p.conda) conda.set(c.url, c);
    for (const w of p.pip) pip.set(w.url, w);
  }
  const document = {
    version: 6,
    environments: {
      [PIXI_ENVIRONMENT]: {
        channels: lock.channels.map((url) => ({ url: url.endsWith("/") ? url : `${url}/` })),
        packages: Object.fromEntries(
          platforms.map((p) => [
            p.platform,
            [
              ...sortedConda(p.conda).map((c) => ({ conda: c.url })),
              ...sortedPip(p.pip).map((w) => ({ pypi: w.url })),
            ],
          ]),
        ),
      },
    },
    packages: [
      ...sortedConda([...conda.values()]).map(condaEntry),
      ...sortedPip([...pip.values()]).map((w) => ({
        pypi: w.url,
        name: w.name,
        version: w.version,
        sha256: w.sha256,
      })),
    ],
  };
  return (
    "# pixi.lock (version 6) exported by `envforge lock --export pixi` (no solve).\n" +
    stringify(document, { lineWidth: 0, indent: 2, indentSeq: false })
  );
}

function condaEntry(c: LockedCondaPackage): Record<string, unknown> {
  const derivedNoarch = derivedNoarchOf(c.subdir, c.build);
  return {
    conda: c.url,
    ...(derivedBuildNumber(c.build) === c.buildNumber ? {} : { build_number: c.buildNumber }),
    // Unknown (undefined) is left to the derivation, as rattler_lock leaves it.
    ...(c.noarch === undefined || c.noarch === derivedNoarch ? {} : { noarch: c.noarch }),
    sha256: c.sha256,
    ...(c.md5 === undefined ? {} : { md5: c.md5 }),
    ...(c.depends.length === 0 ? {} : { depends: [...c.depends] }),
    ...(c.constrains.length === 0 ? {} : { constrains: [...c.constrains] }),
    ...(c.size === undefined ? {} : { size: c.size }),
  };
}

const condaPackage = z.object({
  conda: z.string().min(1),
  build_number: z.number().int().nonnegative().optional(),
  noarch: z.enum(["python", "generic"]).optional(),
  sha256: z.union([z.string(), z.number()]).optional(),
  md5: z.union([z.string(), z.number()]).optional(),
  depends: z.array(z.string()).default([]),
  constrains: z.array(z.string()).default([]),
  size: z.number().int().nonnegative().optional(),
});
const pypiPackage = z.object({
  pypi: z.string().min(1),
  name: z.string().min(1),
  version: z.union([z.string(), z.number()]).transform(String),
  sha256: z.union([z.string(), z.number()]).optional(),
});
const environmentEntry = z.union([
  z.object({ conda: z.string().min(1) }),
  z.object({ pypi: z.string().min(1) }),
]);
const writtenPixiLock = z.object({
  version: z.literal(6),
  environments: z.record(
    z.string(),
    z.object({
      channels: z.array(z.object({ url: z.string() })).default([]),
      packages: z.record(z.string(), z.array(environmentEntry)).default({}),
    }),
  ),
  packages: z.array(z.union([condaPackage, pypiPackage])).default([]),
});

export interface ImportPixiLockOptions {
  readonly text: string;
  readonly file: string;
  /** Hash of the definition the imported lock stands for. */
  readonly definitionHash: string;
  /** Default `default`. */
  readonly environment?: string;
}

export function importPixiLock(options: ImportPixiLockOptions): Lock {
  const yaml = parseYamlSource({ path: options.file, text: options.text });
  const parsed = writtenPixiLock.safeParse(yaml.value);
  if (!parsed.success) {
    throw new ValidationError(
      problemsFromZodIssues(parsed.error.issues, { yaml, schema: writtenPixiLock }),
    );
  }
  const name = options.environment ?? PIXI_ENVIRONMENT;
  const environment = parsed.data.environments[name];
  if (environment === undefined) {
    throw ValidationError.single({
      file: options.file,
      key: "environments",
      message: `${options.file} has no environment ${JSON.stringify(name)}`,
      found: Object.keys(parsed.data.environments).sort().join(", ") || "none",
    });
  }
  const problems = new ProblemCollector();
  const described = new Map<
    string,
    { entry: z.infer<typeof condaPackage> | z.infer<typeof pypiPackage>; index: number }
  >();
  parsed.data.packages.forEach((entry, index) => {
    described.set("conda" in entry ? entry.conda : entry.pypi, { entry, index });
  });
  const at = (index: number): { file: string; key: string; line?: number; column?: number } => {
    const position = yaml.locate(["packages", index]);
    return {
      file: options.file,
      key: `packages[${index}]`,
      ...(position === undefined ? {} : { line: position.line, column: position.column }),
    };
  };
  const channels = environment.channels.map((c) => stripUrlCredentials(c.url).replace(/\/+$/, ""));
  const platforms: PlatformLock[] = [];
  for (const [platform, entries] of Object.entries(environment.packages).sort(([a], [b]) =>
    compare(a, b),
  )) {
    const conda: LockedCondaPackage[] = [];
    const pip: LockedPipPackage[] = [];
    for (const listed of entries) {
      const url = "conda" in listed ? listed.conda : listed.pypi;
      const found = described.get(url);
      if (found === undefined) {
        problems.add({
          file: options.file,
          key: `environments.${name}.packages.${platform}`,
          message: "names a package the packages list does not describe",
          found: url,
        });
        continue;
      }
      const { entry, index } = found;
      // As written: YAML reads a hex digest of digits only (or digits and one e) as a number.
      const hex = (key: string): string | undefined =>
        yaml.scalarText(["packages", index, key])?.toLowerCase();
      const sha256 = entry.sha256 === undefined ? undefined : hex("sha256");
      if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) {
        problems.add({
          ...at(index),
          message: `${url} has no sha256; envforge locks every package by sha256`,
          allowed: "sha256 with 64 hex digits",
        });
        continue;
      }
      if ("pypi" in entry) {
        if (!URL.canParse(entry.pypi)) {
          problems.add({
            ...at(index),
            message: `${entry.name} is a source path pixi builds; envforge installs wheels by URL`,
            found: JSON.stringify(entry.pypi),
            allowed: "a wheel URL",
          });
          continue;
        }
        const clean = stripUrlCredentials(entry.pypi);
        const filename = decodeURIComponent(clean.split(/[?#]/)[0]?.split("/").pop() ?? "");
        pip.push({
          name: entry.name,
          version: entry.version,
          url: clean,
          sha256,
          ...(filename.endsWith(".whl") ? { filename } : {}),
        });
        continue;
      }
      const fromUrl = URL.canParse(entry.conda) ? packageFromUrl(entry.conda, sha256) : undefined;
      if (fromUrl === undefined || "message" in fromUrl) {
        problems.add({
          ...at(index),
          message: fromUrl?.message ?? "not a package URL",
          found: JSON.stringify(entry.conda),
        });
        continue;
      }
      const { pkg } = fromUrl;
      const noarch = entry.noarch ?? derivedNoarchOf(pkg.subdir, pkg.build);
      const md5 = entry.md5 === undefined ? undefined : hex("md5");
      conda.push({
        ...pkg,
        buildNumber: entry.build_number ?? derivedBuildNumber(pkg.build) ?? 0,
        depends: [...entry.depends],
        constrains: [...entry.constrains],
        ...(md5 !== undefined && /^[0-9a-f]{32}$/.test(md5) ? { md5 } : {}),
        ...(entry.size === undefined ? {} : { size: entry.size }),
        ...(noarch === undefined ? {} : { noarch }),
      });
      if (!channels.includes(fromUrl.channelUrl)) channels.push(fromUrl.channelUrl);
    }
    platforms.push({
      platform,
      virtualPackages: [],
      conda: sortedConda(conda),
      pip: sortedPip(pip),
    });
  }
  problems.throwIfAny();
  return {
    version: LOCK_VERSION,
    definitionHash: options.definitionHash,
    channels,
    platforms,
  };
}

/** rattler_lock: the trailing digits of the build string (`py311h1234_2` → 2). */
function derivedBuildNumber(build: string): number | undefined {
  const digits = /(\d+)$/.exec(build)?.[1];
  return digits === undefined ? undefined : Number(digits);
}

/** rattler_lock: a `noarch` subdir is python when its build string holds `py`, else generic. */
function derivedNoarchOf(subdir: string, build: string): "python" | "generic" | undefined {
  if (subdir !== "noarch") return undefined;
  return build.includes("py") ? "python" : "generic";
}

function sortedConda(list: readonly LockedCondaPackage[]): LockedCondaPackage[] {
  return [...list].sort((a, b) => compare(a.name, b.name) || compare(a.url, b.url));
}

function sortedPip(list: readonly LockedPipPackage[]): LockedPipPackage[] {
  return [...list].sort((a, b) => compare(a.name, b.name) || compare(a.url, b.url));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
