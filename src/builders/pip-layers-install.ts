/**
 * The pip layers of an image, installed by envforge from the lock: every locked wheel is
 * downloaded once into the package cache (`<cache>/wheels/<sha256>.whl`, its sha256 checked),
 * then installed by pip/install-wheel.ts into its layer's folder, a tree rooted at the image's
 * `/`. So a layer's folder holds exactly its distributions' files, and the same wheel gives the
 * same bytes on every build. A layer of one distribution is kept installed in the cache
 * (`<cache>/pip-installed/`), so a rebuild installs only the wheels that changed.
 *
 * Index credentials come from the definition (the same netrc the in-image pip step would get);
 * the lock's URLs never hold any.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pLimit from "p-limit";
import * as z from "zod";
import { canonicalJson } from "../definition/canonical-json.js";
import { downloadVerified } from "../conda/download.js";
import type { Fetch } from "../conda/download.js";
import type { Definition } from "../definition/definition.js";
import type { LockedPipPackage } from "../definition/lock.js";
import { installWheel } from "../pip/install-wheel.js";
import type { InstalledWheel } from "../pip/install-wheel.js";
import { pipNetrc } from "../recipe/index.js";
import type { PipLayer, PipScheme } from "../recipe/index.js";
import { pathExists } from "../host/path-exists.js";

export interface InstallPipLayersOptions {
  readonly definition: Definition;
  readonly layers: readonly PipLayer[];
  readonly scheme: PipScheme;
  /** `<cacheDir>/wheels/` keeps downloaded wheels between builds. */
  readonly cacheDir: string;
  /** An empty folder: layer `x` is installed into `<workDir>/pip/x`. */
  readonly workDir: string;
  readonly signal?: AbortSignal;
  readonly fetch?: Fetch;
  /** Connect and idle deadline of each download. */
  readonly timeoutMs?: number;
}

export interface InstalledPipLayers {
  /** Layer name → folder standing for the image's `/`. */
  readonly folders: ReadonlyMap<string, string>;
  readonly wheels: readonly InstalledWheel[];
}

const PARALLEL_DOWNLOADS = 4;

export async function installPipLayers(
  options: InstallPipLayersOptions,
): Promise<InstalledPipLayers> {
  const fetchWithLogin = loginFetch(options.definition, options.fetch ?? globalThis.fetch);
  const limit = pLimit(PARALLEL_DOWNLOADS);
  const packages = options.layers.flatMap((layer) => layer.packages);
  const paths = await Promise.all(
    packages.map((p) => limit(() => cachedWheel(p, options, fetchWithLogin))),
  );
  const folders = new Map<string, string>();
  const wheels: InstalledWheel[] = [];
  let index = 0;
  for (const layer of options.layers) {
    const [only, ...more] = layer.packages;
    if (only !== undefined && more.length === 0) {
      // A layer of one distribution is the same tree whenever its wheel and scheme are: kept
      // installed in the cache, so a rebuild installs only what changed.
      const cached = await cachedInstall(only, paths[index] ?? "", options);
      index += 1;
      folders.set(layer.name, cached.folder);
      wheels.push(cached.wheel);
      continue;
    }
    const folder = join(options.workDir, "pip", layer.name);
    await mkdir(folder, { recursive: true });
    folders.set(layer.name, folder);
    for (const p of layer.packages) {
      const wheelPath = paths[index] ?? "";
      index += 1;
      options.signal?.throwIfAborted();
      wheels.push(await install(p, wheelPath, folder, options));
    }
  }
  return { folders, wheels };
}

function install(
  p: LockedPipPackage,
  wheelPath: string,
  root: string,
  options: InstallPipLayersOptions,
): Promise<InstalledWheel> {
  return installWheel({
    wheelPath,
    label: fileNameOf(p),
    root,
    scheme: {
      purelib: options.scheme.purelib,
      platlib: options.scheme.platlib,
      scripts: options.scheme.scripts,
      data: options.scheme.data,
      headers: `${options.scheme.include}/${p.name}`,
    },
    interpreter: options.scheme.interpreter,
  });
}

/**
 * Bump when install-wheel.ts writes anything differently: older installed trees are not reused
 * (the native layer cache keys pip layers by it too).
 */
export const INSTALLED_FORMAT = 1;

const InstalledSummary = z.object({
  name: z.string(),
  version: z.string(),
  files: z.array(z.string()),
  scripts: z.array(z.string()),
});

/**
 * `<cache>/pip-installed/<key>/`: the wheel installed for this scheme, keyed by the wheel's
 * sha256, the scheme and the installer's format. Installed beside it and renamed into place, so
 * a tree there is always whole; two builds racing keep the first.
 */
async function cachedInstall(
  p: LockedPipPackage,
  wheelPath: string,
  options: InstallPipLayersOptions,
): Promise<{ folder: string; wheel: InstalledWheel }> {
  const key = createHash("sha256")
    .update(
      canonicalJson({
        format: INSTALLED_FORMAT,
        sha256: p.sha256,
        name: p.name,
        scheme: options.scheme,
      }),
    )
    .digest("hex")
    .slice(0, 32);
  const dir = join(options.cacheDir, "pip-installed");
  const folder = join(dir, key);
  const summaryPath = `${folder}.json`;
  if (await pathExists(folder)) {
    const summary = InstalledSummary.safeParse(
      JSON.parse(await readFile(summaryPath, "utf8").catch(() => "null")),
    );
    if (summary.success) return { folder, wheel: summary.data };
    await rm(folder, { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true });
  const partial = `${folder}.${randomBytes(6).toString("hex")}.part`;
  try {
    options.signal?.throwIfAborted();
    const wheel = await install(p, wheelPath, partial, options);
    await writeFile(summaryPath, `${JSON.stringify(wheel)}\n`);
    try {
      await rename(partial, folder);
    } catch (error) {
      // Another build put the same tree there first: use it.
      if (!(await pathExists(folder))) throw error;
    }
    return { folder, wheel };
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

async function cachedWheel(
  p: LockedPipPackage,
  options: InstallPipLayersOptions,
  fetch: Fetch,
): Promise<string> {
  const dir = join(options.cacheDir, "wheels");
  const path = join(dir, `${p.sha256}.whl`);
  if (await pathExists(path)) return path;
  await mkdir(dir, { recursive: true });
  // Another build may fetch the same wheel: each writes its own file and renames it in place.
  const partial = `${path}.${randomBytes(6).toString("hex")}.part`;
  try {
    await downloadVerified({
      url: p.url,
      destination: partial,
      sha256: p.sha256,
      label: fileNameOf(p),
      fetch,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.timeoutMs === undefined
        ? {}
        : { connectTimeoutMs: options.timeoutMs, idleTimeoutMs: options.timeoutMs }),
    });
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
  return path;
}

function fileNameOf(p: LockedPipPackage): string {
  return p.filename ?? decodeURIComponent(new URL(p.url).pathname.split("/").pop() ?? p.name);
}

/** fetch with basic auth for the hosts the definition gives credentials for. */
function loginFetch(definition: Definition, fetch: Fetch): Fetch {
  const logins = new Map<string, string>();
  for (const line of (pipNetrc(definition) ?? "").split("\n")) {
    const match = /^machine (\S+) login (\S+) password (\S+)$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined) continue;
    const token = Buffer.from(`${unquote(match[2])}:${unquote(match[3])}`).toString("base64");
    logins.set(match[1], `Basic ${token}`);
  }
  if (logins.size === 0) return fetch;
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const login = logins.get(url.hostname);
    if (login === undefined) return fetch(input, init);
    const headers = new Headers(init?.headers);
    headers.set("authorization", login);
    return fetch(input, { ...init, headers });
  };
}

/** netrc tokens with spaces or quotes are written quoted (pip-netrc.ts). */
function unquote(token: string): string {
  return token.startsWith('"') && token.endsWith('"')
    ? token.slice(1, -1).replace(/\\(.)/g, "$1")
    : token;
}
