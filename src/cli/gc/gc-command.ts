/**
 * `envforge gc`: remove leftover build contexts, package-cache entries by age and size, and
 * envforge images under the configured registry that no version points to. `--dry-run` shows
 * what would go. Never an image a version (archived or not) still points to.
 */
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { ValidationError } from "../../errors/index.js";
import { dockerFromHost } from "../../jobs/docker-endpoint.js";
import {
  createEnvironmentService,
  openWorkspaceStore,
  shippedCuratedCatalog,
} from "../../workspace/index.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { buildWorkDir } from "../../client/open-builds.js";
import type { GcPlan, LocalImage } from "./gc-plan.js";
import { planGc } from "./gc-plan.js";
import {
  pointedImageHashes,
  scanCache,
  scanContexts,
  scanImages,
  scanUploadLeftovers,
} from "./gc-scan.js";

const Options = z.object({
  maxAge: z.string(),
  maxCacheSize: z.string(),
  contextAge: z.string(),
  dryRun: z.boolean().optional(),
  json: z.boolean().optional(),
});

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export function registerGcCommand(program: Command, io: CliIo): void {
  program
    .command("gc")
    .description(
      "Remove leftover build contexts, old or excess package-cache entries, and envforge images no version points to",
    )
    .option("--max-age <days>", "cache entries and images unused this long go", "30")
    .option(
      "--max-cache-size <size>",
      "trim the package cache to this size (e.g. 20G, 500M)",
      "20G",
    )
    .option("--context-age <hours>", "build contexts older than this are leftovers", "6")
    .option("--dry-run", "only print what would be removed")
    .option("--json", "print JSON for scripts")
    .action((options: unknown) => runGc(io, options));
}

async function runGc(io: CliIo, raw: unknown): Promise<void> {
  const options = Options.parse(raw);
  const policy = {
    nowMs: Date.now(),
    maxAgeMs: numberOf(options.maxAge, "--max-age") * DAY_MS,
    maxCacheBytes: sizeOf(options.maxCacheSize),
    contextAgeMs: numberOf(options.contextAge, "--context-age") * HOUR_MS,
  };
  const env = io.env; // the config file is folded in once per invocation (run-cli.ts)
  const { config } = io;
  const cacheDir = join(config.home, "cache", "pkgs");
  const notes: string[] = [];

  const store = await openWorkspaceStore({ settings: config });
  let pointedTo: Set<string>;
  try {
    const service = createEnvironmentService({
      store,
      curated: shippedCuratedCatalog({ settings: config.parse }),
    });
    pointedTo = await pointedImageHashes(service);
  } finally {
    await store.close();
  }

  const docker = dockerFromHost(config.dockerHost, env);
  let images: LocalImage[] = [];
  if (config.registry === undefined) {
    notes.push("no registry configured: images are left alone");
  } else {
    try {
      images = await scanImages(docker, config.registry);
    } catch (error) {
      notes.push(`images left alone: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const plan = planGc({
    policy,
    // Leftover upload folders age out like build contexts (same --context-age).
    contexts: [
      ...(await scanContexts(buildWorkDir(config.home))),
      ...(await scanUploadLeftovers(env.TMPDIR?.trim() || tmpdir())),
    ],
    cache: await scanCache(cacheDir),
    images,
    pointedTo,
  });

  if (options.dryRun !== true) await apply(plan, { cacheDir, docker });
  const freed = plan.cache.reduce((sum, e) => sum + e.bytes, 0);
  if (options.json === true) {
    return writeJson(io, {
      dryRun: options.dryRun === true,
      ...plan,
      cacheBytesFreed: freed,
      notes,
    });
  }
  const verb = options.dryRun === true ? "would remove" : "removed";
  writeLine(io, `${verb} ${plan.contexts.length} build context(s)`);
  writeLine(io, `${verb} ${plan.cache.length} package cache entr(ies), ${formatBytes(freed)}`);
  writeLine(io, `${verb} ${plan.images.length} image(s) no version points to`);
  for (const image of plan.images) writeLine(io, `  ${image.imageHash} ${image.id}`);
  for (const note of notes) io.stderr.write(`envforge gc: ${note}\n`);
}

async function apply(
  plan: GcPlan,
  options: { readonly cacheDir: string; readonly docker: ReturnType<typeof dockerFromHost> },
): Promise<void> {
  for (const context of plan.contexts) await rm(context.path, { recursive: true, force: true });
  for (const entry of plan.cache) {
    for (const ext of ["tar.bz2", "conda"]) {
      await rm(join(options.cacheDir, "archives", `${entry.key}.${ext}`), { force: true });
    }
    await rm(join(options.cacheDir, "extracted", entry.key), { recursive: true, force: true });
  }
  for (const image of plan.images) {
    // By id, with every tag it has: all of them name the same unreferenced image hash.
    await options.docker.getImage(image.id).remove({ force: true });
  }
}

function numberOf(text: string, key: string): number {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text)) {
    throw ValidationError.single({
      key,
      message: "not a number",
      found: JSON.stringify(text),
      allowed: "a number such as 30 or 0.5",
    });
  }
  return Number(text);
}

const UNITS: Readonly<Record<string, number>> = {
  "": 1,
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
  T: 1024 ** 4,
};

function sizeOf(text: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)([KMGT]?)B?$/i.exec(text.trim());
  const unit = UNITS[(match?.[2] ?? "").toUpperCase()];
  if (match?.[1] === undefined || unit === undefined) {
    throw ValidationError.single({
      key: "--max-cache-size",
      message: "not a size",
      found: JSON.stringify(text),
      allowed: "bytes or a number with K, M, G or T, e.g. 20G",
    });
  }
  return Math.floor(Number(match[1]) * unit);
}

function formatBytes(bytes: number): string {
  return bytes < 1024 ** 2
    ? `${(bytes / 1024).toFixed(1)} KiB`
    : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
