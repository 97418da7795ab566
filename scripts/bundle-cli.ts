/**
 * Bundles the CLI into dist/bin/ (what `bin` in package.json points at), from the JavaScript
 * that `tsc -p tsconfig.build.json` wrote to dist/. Loading one file per command instead of
 * hundreds of modules is most of what a command costs before it does anything; each command
 * stays its own chunk, so `hash` still never loads the Docker client or the HTTP server
 * (bench/cli.bench.ts measures it).
 *
 *   npx tsx scripts/bundle-cli.ts [DIST]   # run by `npm run build` and `prepare` (npm ci)
 *
 * dist/bin sits two folders below the package, as dist/cli does, so files found relative to a
 * module (package.json, curated/) are found the same way from either.
 */
import { readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import type { Plugin } from "esbuild";

/** The folder tsc wrote to (default dist/); the bundle goes to its bin/. */
const dist = resolve(process.argv[2] ?? join(import.meta.dirname, "../dist"));
const outdir = join(dist, "bin");

/**
 * The Docker client requires its BuildKit session (gRPC and protobuf) and its SSH transport (ssh2)
 * when it loads, though only a build that runs and an ssh:// endpoint use them; `env build` on a
 * cache hit would load and run them for nothing. Here each becomes a function that requires its
 * module on first call. The exact text is matched, so a dependency update that changes it fails the bundle
 * rather than quietly loading them again.
 */
const LAZY_REQUIRES: readonly {
  readonly file: RegExp;
  readonly text: string;
  readonly path: string;
}[] = [
  {
    file: /node_modules\/dockerode\/lib\/docker\.js$/,
    text: "withSession = require('./session'),",
    path: "./session",
  },
  {
    file: /node_modules\/docker-modem\/lib\/modem\.js$/,
    text: "ssh = require('./ssh'),",
    path: "./ssh",
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
        const name = lazy.text.slice(0, lazy.text.indexOf(" ="));
        const deferred = `${name} = function () { return require('${lazy.path}').apply(this, arguments); },`;
        return { contents: source.replace(lazy.text, deferred), loader: "js" };
      });
    }
  },
};

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { envforge: join(dist, "cli/main.js") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  logLevel: "warning",
  plugins: [lazyRequires],
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
  // Bundled CommonJS dependencies call require() for Node's own modules.
  banner: {
    js: 'import { createRequire as __envforgeRequire } from "node:module"; const require = __envforgeRequire(import.meta.url);',
  },
});
