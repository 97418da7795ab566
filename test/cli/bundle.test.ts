/**
 * The bundled CLI (bin: dist/bin/envforge.js, made by scripts/bundle-cli.ts) against the
 * source: the same output and exit codes, and the V8 code cache its loader keeps
 * (src/cli/bundle-loader.ts): each chunk's cache and the command's pack written after its first
 * run, the pack's cache after its second, nothing after that; rewritten when V8 refuses a cache
 * or a pack is damaged, never in the way of the command when its folder cannot be written, and
 * off with NODE_DISABLE_COMPILE_CACHE=1.
 *
 * The bundle is built here from the working tree (tsc into a scratch package, then the
 * bundler), so the test checks the code it sits beside, not whatever dist/ holds.
 */
import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withLoopbackDefaults } from "../support/loopback-defaults.js";

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, "../..");
const MAIN = join(REPO, "src/cli/main.ts");
const HASHED = join(REPO, "examples/pytorch/environment.yml");
const work = mkdtempSync(join(tmpdir(), "envforge-bundle-"));
/** A package as npm installs it: package.json, node_modules and curated/ beside dist/. */
const pkg = join(work, "pkg");
const bin = join(pkg, "dist/bin/envforge.js");
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  mkdirSync(pkg);
  for (const name of ["package.json", "node_modules", "curated"]) {
    symlinkSync(join(REPO, name), join(pkg, name));
  }
  const tsc = join(REPO, "node_modules/.bin/tsc");
  await run(tsc, ["-p", join(REPO, "tsconfig.build.json"), "--outDir", join(pkg, "dist")], {
    cwd: REPO,
  });
  const tsx = join(REPO, "node_modules/.bin/tsx");
  await run(tsx, [join(REPO, "scripts/bundle-cli.ts"), join(pkg, "dist")], { cwd: REPO });
}, 300_000);

interface Ran {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

let homes = 0;

/** Runs `node <program> ...argv` with the bench's kind of environment plus `env`. */
async function envforge(
  program: readonly string[],
  argv: readonly string[],
  env: Record<string, string> = {},
  cwd = REPO,
): Promise<Ran> {
  return run(process.execPath, [...program, ...argv], {
    cwd,
    env: withLoopbackDefaults({
      PATH: process.env.PATH,
      HOME: join(work, "home"),
      ENVFORGE_HOME: join(work, `envforge-home-${++homes}`),
      ENVFORGE_CONFIG: join(work, "missing.yaml"),
      XDG_CACHE_HOME: join(work, "cache"),
      ...env,
    }),
  }).then(
    (done) => ({ stdout: done.stdout, stderr: done.stderr, code: 0 }),
    (failed: { stdout?: string; stderr?: string; code?: number }) => ({
      stdout: failed.stdout ?? "",
      stderr: failed.stderr ?? "",
      code: failed.code ?? -1,
    }),
  );
}

const bundled = (argv: readonly string[], env?: Record<string, string>) =>
  envforge([bin], argv, env);
const fromSource = (argv: readonly string[]) => envforge(["--import", "tsx", MAIN], argv);

/** The cache files under `root`, by name, with their mtime and size. */
function caches(root: string): Map<string, { mtimeMs: number; size: number; mode: number }> {
  const found = new Map<string, { mtimeMs: number; size: number; mode: number }>();
  const base = join(root, "envforge/compile-cache");
  if (!existsSync(base)) return found;
  for (const build of readdirSync(base)) {
    for (const file of readdirSync(join(base, build))) {
      const stat = statSync(join(base, build, file));
      found.set(`${build}/${file}`, { mtimeMs: stat.mtimeMs, size: stat.size, mode: stat.mode });
    }
  }
  return found;
}

describe("the bundled CLI", () => {
  it("is CommonJS chunks started by a loader, beside a package.json that says so", () => {
    const dir = join(pkg, "dist/bin");
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))).toEqual({
      type: "commonjs",
    });
    const files = readdirSync(dir).filter((name) => name.endsWith(".js"));
    // Chunks are named by their content hash; a file without one starts an entry's chunk.
    const chunks = files.filter((name) => /-[A-Z0-9]{8}\.js$/.test(name));
    expect(chunks.some((name) => /^envforge-[A-Z0-9]{8}\.js$/.test(name))).toBe(true);
    for (const name of chunks) {
      expect(readFileSync(join(dir, name), "utf8")).toMatch(/^\(function \(exports, require, /);
    }
    const starters = files.filter((name) => !chunks.includes(name));
    expect(starters).toContain("envforge.js");
    expect(readFileSync(bin, "utf8")).toMatch(/^#!\/usr\/bin\/env node\n/);
    // One per entry the bundler names, not one per chunk an import() loads.
    expect(starters.length).toBeLessThan(4);
  });

  it("runs by itself, as a linked bin does: executable, with its #! line", async () => {
    expect(statSync(bin).mode & 0o111).toBe(0o111);
    const done = await run(bin, ["--version"], { cwd: REPO, env: { PATH: process.env.PATH } });
    expect(done.stdout).toBe((await fromSource(["--version"])).stdout);
  });

  it.each([
    [["--version"]],
    [["--help"]],
    [["env", "--help"]],
    [["hash", HASHED]],
    [["hash", join(REPO, "no-such-file.yml")]],
    [["validate", HASHED, "--json"]],
    [["dockerfile", HASHED]],
    [["env", "list", "--json"]],
    [["env", "show", "missing"]],
    [["no-such-command"]],
    [["completion", "bash"]],
  ])("envforge %j prints and exits as the source does", async (argv) => {
    const [fromBundle, source] = await Promise.all([bundled(argv), fromSource(argv)]);
    expect(fromBundle).toEqual(source);
  });
});

describe("the compile cache", () => {
  it("is written after the first run, 0600 in a 0700 folder, and read as it is after that", async () => {
    const xdg = join(work, "cache-first");
    const first = await bundled(["hash", HASHED], { XDG_CACHE_HOME: xdg });
    expect(first.code).toBe(0);
    const written = caches(xdg);
    // The entry, run-cli, hash's own chunk, zod, yaml, commander ...
    expect(written.size).toBeGreaterThan(5);
    for (const { mode, size } of written.values()) {
      expect(mode & 0o777).toBe(0o600);
      expect(size).toBeGreaterThan(0);
    }
    const [build] = readdirSync(join(xdg, "envforge/compile-cache"));
    expect(build).toMatch(new RegExp(`^[0-9a-f]{16}-node${process.version}-${process.arch}$`));
    expect(statSync(join(xdg, "envforge/compile-cache", build ?? "")).mode & 0o777).toBe(0o700);

    // The first run also kept its chunks together, as hash's pack; its cache comes next.
    const packs = [...written.keys()].filter((name) => /\/pack-/.test(name));
    expect(packs.map((name) => name.replace(/^.*\//, ""))).toEqual(["pack-hash.js"]);

    const second = await bundled(["hash", HASHED], { XDG_CACHE_HOME: xdg });
    expect(second).toEqual(first);
    // The second run loaded the pack and wrote its code cache, and nothing else.
    const withPackCache = caches(xdg);
    const added = [...withPackCache.keys()].filter((name) => !written.has(name));
    expect(added.map((name) => name.replace(/^.*\//, ""))).toEqual([
      expect.stringMatching(/^pack-hash\.js\.[0-9a-f]{16}\.cache$/),
    ]);
    for (const [name, cache] of written) expect(withPackCache.get(name)).toEqual(cache);

    const third = await bundled(["hash", HASHED], { XDG_CACHE_HOME: xdg });
    expect(third).toEqual(first);
    // V8 took every cache: none was written again.
    expect(caches(xdg)).toEqual(withPackCache);

    // Another command adds the chunks it loads that hash did not, and its own pack; it rewrites
    // none of hash's.
    const list = await bundled(["env", "list"], { XDG_CACHE_HOME: xdg });
    expect(list.code).toBe(0);
    const after = caches(xdg);
    expect([...after.keys()].some((name) => name.endsWith("/pack-env+list.js"))).toBe(true);
    expect(after.size).toBeGreaterThan(withPackCache.size + 1);
    for (const [name, cache] of withPackCache) expect(after.get(name)).toEqual(cache);
  });

  it("names a pack by the command that ran, not by its arguments", async () => {
    const xdg = join(work, "cache-named");
    const text = readFileSync(HASHED, "utf8");
    // Two definitions whose file names read like subcommands: the command is still `hash`.
    for (const name of ["alpha", "beta"]) writeFileSync(join(work, name), text);
    const alpha = await envforge([bin], ["hash", "alpha"], { XDG_CACHE_HOME: xdg }, work);
    expect(alpha.code, alpha.stderr).toBe(0);
    const packs = () =>
      [...caches(xdg).keys()]
        .map((name) => name.replace(/^.*\//, ""))
        .filter((name) => name.startsWith("pack-"))
        .sort();
    expect(packs()).toEqual(["pack-hash.js"]);
    // `hash beta` finds hash's pack, loads it, and writes its code cache: no pack of its own.
    const beta = await envforge([bin], ["hash", "beta"], { XDG_CACHE_HOME: xdg }, work);
    expect(beta.stdout).toBe(alpha.stdout);
    expect(packs()).toEqual([
      "pack-hash.js",
      expect.stringMatching(/^pack-hash\.js\.[0-9a-f]{16}\.cache$/),
    ]);
    // Help runs no command: it keeps no pack.
    const help = await bundled(["env", "--help"], { XDG_CACHE_HOME: join(work, "cache-help") });
    expect(help.code).toBe(0);
    expect([...caches(join(work, "cache-help")).keys()].some((name) => /\/pack-/.test(name))).toBe(
      false,
    );
  });

  it("a damaged pack is written anew, the old pack's cache goes, and the command runs the same", async () => {
    const xdg = join(work, "cache-pack");
    const first = await bundled(["hash", HASHED], { XDG_CACHE_HOME: xdg });
    await bundled(["hash", HASHED], { XDG_CACHE_HOME: xdg });
    const [build] = readdirSync(join(xdg, "envforge/compile-cache"));
    const dir = join(xdg, "envforge/compile-cache", build ?? "");
    const pack = join(dir, "pack-hash.js");
    const oldCache = readdirSync(dir).find((name) => /^pack-hash\.js\..*\.cache$/.test(name));
    expect(oldCache).toBeDefined();
    // Cut short, as by a full disk: the header stays, the code does not parse.
    const text = readFileSync(pack, "utf8");
    writeFileSync(pack, text.slice(0, Math.floor(text.length / 2)));

    expect(await bundled(["hash", HASHED], { XDG_CACHE_HOME: xdg })).toEqual(first);
    const rewritten = readFileSync(pack, "utf8");
    expect(rewritten).toMatch(/^\/\/ envforge pack [0-9a-f]{16}\n\(\{\n/);
    expect(rewritten.split("\n")[0]).not.toBe(text.split("\n")[0]);
    expect(readdirSync(dir)).not.toContain(oldCache);

    // The new pack then gets a cache of its own and runs from it.
    expect(await bundled(["hash", HASHED], { XDG_CACHE_HOME: xdg })).toEqual(first);
    expect(await bundled(["hash", HASHED], { XDG_CACHE_HOME: xdg })).toEqual(first);
    const id = /^\/\/ envforge pack ([0-9a-f]{16})/.exec(rewritten)?.[1];
    expect(readdirSync(dir)).toContain(`pack-hash.js.${id}.cache`);
  });

  it("a cache V8 refuses is replaced, and the command runs as without one", async () => {
    const xdg = join(work, "cache-refused");
    const first = await bundled(["hash", HASHED], { XDG_CACHE_HOME: xdg });
    const base = join(xdg, "envforge/compile-cache");
    const [build] = readdirSync(base);
    const dir = join(base, build ?? "");
    const garbage = Buffer.from("not a V8 code cache");
    for (const file of readdirSync(dir)) writeFileSync(join(dir, file), garbage);

    const again = await bundled(["hash", HASHED], { XDG_CACHE_HOME: xdg });
    expect(again).toEqual(first);
    for (const file of readdirSync(dir)) {
      expect(readFileSync(join(dir, file)).equals(garbage), file).toBe(false);
    }
  });

  it("a folder that cannot be written costs the cache, not the command", async () => {
    // XDG_CACHE_HOME names a file: no folder can be made under it.
    const blocked = join(work, "a-file");
    writeFileSync(blocked, "");
    const result = await bundled(["hash", HASHED], { XDG_CACHE_HOME: blocked });
    expect(result).toEqual(await fromSource(["hash", HASHED]));
  });

  it("NODE_DISABLE_COMPILE_CACHE=1 reads and writes none", async () => {
    const xdg = join(work, "cache-off");
    const result = await bundled(["hash", HASHED], {
      XDG_CACHE_HOME: xdg,
      NODE_DISABLE_COMPILE_CACHE: "1",
    });
    expect(result.code).toBe(0);
    expect(existsSync(xdg)).toBe(false);
  });

  it("a new build's first write removes other builds' caches unused for a week, not newer ones", async () => {
    const xdg = join(work, "cache-prune");
    const base = join(xdg, "envforge/compile-cache");
    const old = join(base, "0000000000000000-old");
    const recent = join(base, "1111111111111111-recent");
    for (const dir of [old, recent]) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "chunk-X.js.cache"), "x");
    }
    const eightDaysAgo = (Date.now() - 8 * 24 * 60 * 60 * 1000) / 1000;
    utimesSync(old, eightDaysAgo, eightDaysAgo);

    expect((await bundled(["hash", HASHED], { XDG_CACHE_HOME: xdg })).code).toBe(0);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(readdirSync(base)).toHaveLength(2);
  });
});
