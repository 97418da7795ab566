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
 * A command loads dozens of chunks (`envforge hash` 34, `env build` 59), and each costs two
 * file reads and a Script of its own. So the chunks a command loaded are also kept together, as
 * one pack per command (`pack-env+build.js`: the chunks' functions in the order they loaded,
 * written at the end of the first run), with one code cache (written at the end of the first
 * run that loads the pack). A chunk the pack lacks loads on its own, as before.
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
import { basename, isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Script, constants } from "node:vm";
import { recordedCommandPath } from "./command-path.js";

export interface BundleStart {
  /** The folder that holds the chunks (dist/bin). */
  readonly dir: string;
  /** The chunk that starts the CLI, a file name in `dir`. */
  readonly entry: string;
  /** Names this build's caches: a hash over every chunk, written by the bundler. */
  readonly buildId: string;
  readonly env: NodeJS.ProcessEnv;
  /** The command's arguments (process.argv without node and the script): they name its pack. */
  readonly argv: readonly string[];
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

/** The pack of a command, by the command's words (`["env", "build"]`: `pack-env+build.js`). */
export function packName(path: readonly string[]): string | undefined {
  return path.length === 0 || path.some((word) => !/^[a-z][a-z0-9-]{0,39}$/.test(word))
    ? undefined
    : `pack-${path.join("+")}.js`;
}

/**
 * The packs an invocation may have, before anything parses it: its first two words' (`env build
 * pytorch`: env+build), then its first word's (`run pytorch`: run), as far as they are plain
 * lowercase words, not options, paths or selectors. Which is the command is known only once the
 * CLI has parsed it (command-path.ts): that names the pack written at exit.
 */
export function packCandidates(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (const word of argv) {
    if (words.length === 2 || packName([word]) === undefined) break;
    words.push(word);
  }
  const names: string[] = [];
  for (let length = words.length; length > 0; length -= 1) {
    const name = packName(words.slice(0, length));
    if (name !== undefined) names.push(name);
  }
  return names;
}

/**
 * A pack's first line names it: its code cache is `<pack>.<id>.cache`, so a pack written anew
 * (another process's, one that replaced a damaged one) never meets the cache of another.
 */
const PACK_ID = /^\/\/ envforge pack ([0-9a-f]{16})\n/;

/** A pack read from the cache: each chunk's function, by chunk name. */
interface Pack {
  readonly script: Script;
  /** Where its code cache is, or goes. */
  readonly cacheFile: string;
  readonly chunks: Readonly<Record<string, ChunkFunction>>;
  /** Whether V8 took the pack's code cache; without one, it is written at exit. */
  readonly cached: boolean;
}

/** Loads and runs the entry chunk; chunks it requires load the same way, once each. */
export function startBundle(start: BundleStart): void {
  const cacheDir = compileCacheDir(start.env, start.buildId);
  const nodeRequire = createRequire(join(start.dir, start.entry));
  const modules = new Map<string, ChunkModule>();
  const uncached: { readonly script: Script; readonly file: string }[] = [];
  const pack = cacheDir === undefined ? undefined : findPack(cacheDir, start.argv);
  /** The chunks loaded on their own, in order: the pack of a command that has none yet. */
  const loadedAlone: { readonly name: string; readonly text: string }[] = [];
  if (pack !== undefined && !pack.cached) {
    uncached.push({ script: pack.script, file: pack.cacheFile });
  }
  process.once("exit", () => {
    if (uncached.length > 0) writeCaches(cacheDir, uncached);
    const ran = packName(recordedCommandPath() ?? []);
    if (
      pack === undefined &&
      cacheDir !== undefined &&
      ran !== undefined &&
      loadedAlone.length > 1
    ) {
      writePack(cacheDir, join(cacheDir, ran), loadedAlone);
    }
  });

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
    const run = pack?.chunks[name] ?? compileAlone(name, filename);
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

  function compileAlone(name: string, filename: string): ChunkFunction {
    const cacheFile = cacheDir === undefined ? undefined : join(cacheDir, `${name}.cache`);
    const cachedData = cacheFile === undefined ? undefined : readIfPresent(cacheFile);
    const text = readFileSync(filename, "utf8");
    const script = new Script(text, {
      filename,
      cachedData,
      // The bundle turns import() into require(); any left goes through Node's own loader.
      importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
      uncached.push({ script, file: cacheFile });
    }
    loadedAlone.push({ name, text });
    return script.runInThisContext() as ChunkFunction;
  }

  load(start.entry);
}

/** The first of the invocation's candidate packs that can be read (packCandidates). */
function findPack(cacheDir: string, argv: readonly string[]): Pack | undefined {
  for (const name of packCandidates(argv)) {
    const pack = readPack(join(cacheDir, name));
    if (pack !== undefined) return pack;
  }
  return undefined;
}

/** The pack at `file` with its code cache when there is one; undefined when there is no pack. */
function readPack(file: string): Pack | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const id = PACK_ID.exec(text)?.[1];
  if (id === undefined) return undefined;
  try {
    const cacheFile = `${file}.${id}.cache`;
    const cachedData = readIfPresent(cacheFile);
    const script = new Script(text, {
      filename: file,
      cachedData,
      importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    const chunks = script.runInThisContext() as Record<string, ChunkFunction>;
    const cached = cachedData !== undefined && !script.cachedDataRejected;
    return { script, cacheFile, chunks, cached };
  } catch {
    // A pack cut short (a full disk) is no pack: the chunks load on their own.
    return undefined;
  }
}

/** The chunks a command loaded, as one object expression of their functions by name. */
function writePack(
  dir: string,
  file: string,
  chunks: readonly { readonly name: string; readonly text: string }[],
): void {
  const entries = chunks.map((chunk) => `${JSON.stringify(chunk.name)}: ${chunk.text}`);
  // Only tells this pack from the one before it (node:crypto is left unloaded for --version).
  const id = Array.from({ length: 16 }, () => Math.floor(Math.random() * 16).toString(16));
  const header = `// envforge pack ${id.join("")}\n`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${header}({\n${entries.join(",\n")}\n})`, { mode: 0o600 });
    renameSync(temporary, file);
    // The caches of the pack this one replaces.
    const own = `${basename(file)}.`;
    for (const name of readdirSync(dir)) {
      if (name.startsWith(own) && name.endsWith(".cache")) rmSync(join(dir, name), { force: true });
    }
  } catch {
    // As for the caches: the next start loads the chunks one by one.
  }
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
