/**
 * Bundles the CLI into dist/bin/ (what `bin` in package.json points at), from the JavaScript
 * that `tsc -p tsconfig.build.json` wrote to dist/. Loading one file per command instead of
 * hundreds of modules is most of what a command costs before it does anything; each command
 * stays its own chunk, so `hash` still never loads the Docker client or the HTTP server
 * (bench/cli.bench.ts measures it).
 *
 *   npx tsx scripts/bundle-cli.ts [DIST]   # run by `npm run build` and `prepare` (npm ci)
 *
 * Two steps. esbuild splits the program into ES module chunks; each chunk is then turned into
 * CommonJS and written as one function expression, which src/cli/bundle-loader.ts runs through
 * node:vm with V8's code cache (ES modules cannot take one on Node 20). dist/bin/envforge.js is
 * that loader, with this build's entry chunk and id written in.
 *
 * dist/bin sits two folders below the package, as dist/cli does, so files found relative to a
 * module (package.json, curated/) are found the same way from either.
 */
import { createHash } from "node:crypto";
import { chmod, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { basename, join, relative, resolve } from "node:path";
import { build, transform } from "esbuild";
import { CHUNK_PARAMETERS } from "../src/cli/bundle-loader.js";
import type { Plugin } from "esbuild";

/** The folder tsc wrote to (default dist/); the bundle goes to its bin/. */
const dist = resolve(process.argv[2] ?? join(import.meta.dirname, "../dist"));
const outdir = join(dist, "bin");

/**
 * Modules that dependencies require when they load but use only on a path envforge rarely takes;
 * each becomes a require on first use. The Docker client's BuildKit session (gRPC and protobuf)
 * and SSH transport (ssh2) serve only a build that runs and an ssh:// endpoint, so `env build`
 * on a cache hit would load and run them for nothing; commander's child_process (with net and
 * dgram) serves only executable subcommands, which envforge has none of. The exact text is
 * matched, so a dependency update that changes it fails the bundle rather than quietly loading
 * them again.
 */
const LAZY_REQUIRES: readonly {
  readonly file: RegExp;
  readonly text: string;
  readonly lazy: string;
}[] = [
  {
    file: /node_modules\/dockerode\/lib\/docker\.js$/,
    text: "withSession = require('./session'),",
    lazy: "withSession = function () { return require('./session').apply(this, arguments); },",
  },
  {
    file: /node_modules\/docker-modem\/lib\/modem\.js$/,
    text: "ssh = require('./ssh'),",
    lazy: "ssh = function () { return require('./ssh').apply(this, arguments); },",
  },
  {
    file: /node_modules\/commander\/lib\/command\.js$/,
    text: "const childProcess = require('node:child_process');",
    lazy: "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };",
  },
];

const lazyRequires: Plugin = {
  name: "lazy-requires",
  setup(bundler) {
    for (const lazy of LAZY_REQUIRES) {
      bundler.onLoad({ filter: lazy.file }, async (args) => {
        const source = await readFile(args.path, "utf8");
        if (!source.includes(lazy.text)) {
          throw new Error(`${args.path}: expected \`${lazy.text}\` to make it lazy; found none`);
        }
        return { contents: source.replace(lazy.text, lazy.lazy), loader: "js" };
      });
    }
  },
};

/**
 * zod exports every translation of its messages (`z.locales`, 40 of them, 263 KB of the 454 KB
 * it adds) and sets English itself. envforge speaks English and never calls `z.locales`: the
 * bundle gets English only, which every command that loads zod would otherwise read (and V8
 * load from its cache) for nothing. The bundle fails if the program starts to name `locales`.
 */
const englishOnlyZod: Plugin = {
  name: "english-only-zod",
  setup(bundler) {
    bundler.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /\/node_modules\/zod\/v4\/(classic|core)\//.test(args.importer)
        ? { path: join(args.importer, "../../locales"), namespace: "zod-english" }
        : undefined,
    );
    bundler.onLoad({ filter: /.*/, namespace: "zod-english" }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: args.path,
      loader: "js",
    }));
  },
};

/** tsc's output (not the bundle, not the web app's) that names `locales`. */
async function namesZodLocales(folder: string): Promise<string[]> {
  const found: string[] = [];
  const skipped = [`${outdir}/`, `${join(folder, "web")}/`];
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isFile() || !entry.name.endsWith(".js")) continue;
    if (skipped.some((prefix) => path.startsWith(prefix))) continue;
    if (/\blocales\b/.test(await readFile(path, "utf8"))) found.push(path);
  }
  return found;
}

const namingLocales = await namesZodLocales(dist);
if (namingLocales.length > 0) {
  throw new Error(`${namingLocales.join(", ")}: names zod's locales, which the bundle leaves out`);
}

/**
 * What the bundle starts from: the CLI, and any module a worker thread runs (code that starts a
 * thread finds it as `<name>.js` beside itself, in dist/bin as in dist/).
 */
const entryPoints: Readonly<Record<string, string>> = {
  envforge: join(dist, "cli/main.js"),
};

await rm(outdir, { recursive: true, force: true });
const split = await build({
  entryPoints,
  outdir,
  // Every chunk name carries its content hash, the entry's too: a cache is never read for
  // other code than it was made from.
  entryNames: "[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  write: false,
  metafile: true,
  logLevel: "warning",
  plugins: [lazyRequires, englishOnlyZod],
  // Native addons, WebAssembly loaded by path, and optional native parts of dependencies stay
  // in node_modules.
  // @pnpm/tabtab reads its completion templates from files next to its own code.
  external: [
    "better-sqlite3",
    "@conda-org/rattler",
    "cpu-features",
    "ssh2",
    "pg-native",
    "@pnpm/tabtab",
  ],
});

await mkdir(outdir, { recursive: true });
const buildId = createHash("sha256");
/** Entry name (`envforge`, a thread's module) → its chunk's file name. */
const entries = new Map<string, string>();
for (const chunk of split.outputFiles) {
  if (!chunk.path.endsWith(".js")) continue;
  const name = basename(chunk.path);
  // Chunks of import() have an entry point too; only the named ones get a file to start them.
  const from = split.metafile.outputs[relative(process.cwd(), chunk.path)]?.entryPoint;
  for (const [entry, file] of Object.entries(entryPoints)) {
    if (from !== undefined && relative(process.cwd(), file) === from) entries.set(entry, name);
  }
  const cjs = await transform(chunk.text, {
    format: "cjs",
    platform: "node",
    target: "node20",
    minify: true,
    // Chunks load each other with require() (import() of a chunk becomes a require), so the
    // loader sees every chunk a command needs.
    supported: { "dynamic-import": false },
    define: { "import.meta.url": CHUNK_PARAMETERS[5] },
    logLevel: "warning",
  });
  if (/\bimport\.meta\.url\b/.test(cjs.code)) {
    throw new Error(`${chunk.path}: import.meta.url left after the CommonJS step`);
  }
  // Strict, as the ES module it was: the function keeps the semantics the code was tested with.
  // The entry keeps main.ts's `#!` line, which is valid only at the start of a file.
  const code = cjs.code.replace(/^#!.*\n/, "");
  const text = `(function (${CHUNK_PARAMETERS.join(", ")}) {"use strict";\n${code}\n})`;
  buildId.update(`${name}\0${text}\0`);
  await writeFile(chunk.path, text);
}
if (!entries.has("envforge")) throw new Error(`${outdir}: esbuild wrote no envforge-<hash>.js`);
const id = buildId.digest("hex").slice(0, 16);

// .js files under dist/bin are CommonJS (the package is "type": "module"): a CommonJS main
// starts faster than an ES module one.
await writeFile(join(outdir, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
// Each entry gets a file of its own name that starts its chunk through the loader: envforge.js
// (bin), and a thread's module where the code that starts the thread looks for it.
for (const [name, chunk] of entries) {
  await build({
    stdin: {
      contents: [
        `import { startBundle } from ${JSON.stringify(join(dist, "cli/bundle-loader.js"))};`,
        `const built = ${JSON.stringify({ entry: chunk, buildId: id })};`,
        "startBundle({ ...built, dir: __dirname, env: process.env, argv: process.argv.slice(2) });",
      ].join("\n"),
      resolveDir: dist,
      loader: "js",
    },
    outfile: join(outdir, `${name}.js`),
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    minify: true,
    logLevel: "warning",
    banner: name === "envforge" ? { js: "#!/usr/bin/env node" } : {},
  });
}
// The bin must be executable by itself: `npm link` marks it so, but prepare runs again after that
// and writes the folder anew, so a linked `envforge` would answer "Permission denied".
await chmod(join(outdir, "envforge.js"), 0o755);
