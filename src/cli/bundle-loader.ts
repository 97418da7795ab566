/**
 * Starts the bundled CLI (scripts/bundle-cli.ts writes it to dist/bin/) from its chunks, each
 * compiled with V8's code cache when one is stored for it.
 *
 * Most of what a command costs before it does anything is V8 compiling the code it loads (zod,
 * yaml, commander, the definition parsers), and Node 20 has no compile cache of its own
 * (`module.enableCompileCache` is Node 22). So every chunk is a CommonJS function expression
 * run through node:vm, and once a command has run, the code V8 compiled for each chunk that had
 * no cache is written beside the others (`Script.createCachedData()` after the run also holds
 * the functions compiled lazily while it ran). The next start of any command that loads the
 * chunk deserialises that instead of parsing and compiling it again.
 *
 * Where: `$XDG_CACHE_HOME/envforge/compile-cache/` (default `~/.cache/...`), one folder per
 * build and Node version; `NODE_DISABLE_COMPILE_CACHE=1` (Node's own switch) turns it off. A
 * cache that cannot be read, written, or is rejected by V8 (another V8, other flags) only costs
 * the compile it would have saved: the command runs the same either way.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Script, constants } from "node:vm";

export interface BundleStart {
  /** The folder that holds the chunks (dist/bin). */
  readonly dir: string;
  /** The chunk that starts the CLI, a file name in `dir`. */
  readonly entry: string;
  /** Names this build's caches: a hash over every chunk, written by the bundler. */
  readonly buildId: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * The parameters each chunk's function takes, in order. scripts/bundle-cli.ts writes every
 * chunk as `(function (<these>) {...})` and maps `import.meta.url` to the last one.
 */
export const CHUNK_PARAMETERS = [
  "exports",
  "require",
  "module",
  "__filename",
  "__dirname",
  "__envforge_import_meta_url",
] as const;

/** Caches of other builds older than this are removed when a new build writes its first. */
const STALE_BUILD_MS = 7 * 24 * 60 * 60 * 1000;

interface ChunkModule {
  exports: unknown;
  readonly id: string;
  readonly filename: string;
  loaded: boolean;
}

type ChunkFunction = (
  this: unknown,
  exports: unknown,
  require: NodeJS.Require,
  module: ChunkModule,
  filename: string,
  dirname: string,
  importMetaUrl: string,
) => void;

/** The folder of this build's caches, or undefined when the cache is turned off. */
export function compileCacheDir(
  env: NodeJS.ProcessEnv,
  buildId: string,
  home: () => string = homedir,
): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE === "1") return undefined;
  // The XDG base directory spec: a relative path is ignored.
  const xdg = env.XDG_CACHE_HOME?.trim();
  const root = xdg !== undefined && isAbsolute(xdg) ? xdg : join(home(), ".cache");
  return join(
    root,
    "envforge",
    "compile-cache",
    `${buildId}-node${process.version}-${process.arch}`,
  );
}

/** Loads and runs the entry chunk; chunks it requires load the same way, once each. */
export function startBundle(start: BundleStart): void {
  const cacheDir = compileCacheDir(start.env, start.buildId);
  const nodeRequire = createRequire(join(start.dir, start.entry));
  const modules = new Map<string, ChunkModule>();
  const uncached: { readonly script: Script; readonly file: string }[] = [];

  const requireChunk = (specifier: string): unknown =>
    specifier.startsWith("./") ? load(specifier.slice(2)) : nodeRequire(specifier);
  const chunkRequire: NodeJS.Require = Object.assign(requireChunk, {
    resolve: nodeRequire.resolve,
    cache: nodeRequire.cache,
    extensions: nodeRequire.extensions,
    main: nodeRequire.main,
  });

  function load(name: string): unknown {
    const known = modules.get(name);
    if (known !== undefined) return known.exports;
    const filename = join(start.dir, name);
    const module: ChunkModule = { exports: {}, id: filename, filename, loaded: false };
    // Before it runs, as require() does, so chunks that import each other see each other.
    modules.set(name, module);
    const cacheFile = cacheDir === undefined ? undefined : join(cacheDir, `${name}.cache`);
    const cachedData = cacheFile === undefined ? undefined : readIfPresent(cacheFile);
    const script = new Script(readFileSync(filename, "utf8"), {
      filename,
      cachedData,
      // The bundle turns import() into require(); any left goes through Node's own loader.
      importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
      if (uncached.length === 0) process.once("exit", () => writeCaches(cacheDir, uncached));
      uncached.push({ script, file: cacheFile });
    }
    const run = script.runInThisContext() as ChunkFunction;
    run.call(
      module.exports,
      module.exports,
      chunkRequire,
      module,
      filename,
      start.dir,
      pathToFileURL(filename).href,
    );
    module.loaded = true;
    return module.exports;
  }

  load(start.entry);
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * At exit, once the command has run: each new cache goes to a temporary file renamed into
 * place, so a reader never sees half of one. Nothing here may fail the command.
 */
function writeCaches(
  dir: string | undefined,
  caches: readonly { readonly script: Script; readonly file: string }[],
): void {
  if (dir === undefined) return;
  try {
    const isNew = !isDirectory(dir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (isNew) removeStaleBuilds(dir);
    for (const { script, file } of caches) {
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
      renameSync(temporary, file);
    }
  } catch {
    // A read-only or full cache folder: the next start compiles again, as without a cache.
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Other builds' folders not written to for a week (an upgraded or removed envforge). */
function removeStaleBuilds(current: string): void {
  const parent = join(current, "..");
  const now = Date.now();
  for (const entry of readdirSync(parent, { withFileTypes: true })) {
    const path = join(parent, entry.name);
    if (!entry.isDirectory() || path === current) continue;
    if (now - statSync(path).mtimeMs > STALE_BUILD_MS)
      rmSync(path, { recursive: true, force: true });
  }
}
