/**
 * `envforge gc`: remove leftover build contexts, package-cache entries by age and size, and
 * envforge images under the configured registry that no version points to. `--versions` first
 * applies the retention policy (`--keep`, `--keep-days`) to the workspace's versions;
 * `--registry` also deletes unreferenced envforge images in the registry itself. `--dry-run`
 * shows what would go. Never an image a version (archived or not) still points to.
 */
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import * as z from "zod";
import { ValidationError } from "../../errors/index.js";
import { dockerFromHost } from "../../jobs/docker-endpoint.js";
import {
  createEnvironmentService,
  openWorkspaceStore,
  shippedCuratedCatalog,
} from "../../workspace/index.js";
import { openRegistry } from "../../image/open-registry.js";
import type { PruneVersionsResult, RetentionPolicy } from "../../workspace/index.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { buildWorkDir } from "../../client/open-builds.js";
import { homeCacheDir } from "../../host/home-caches.js";
import type { GcPlan, LocalImage } from "./gc-plan.js";
import type { RegistryGcPlan } from "./gc-registry.js";
import { applyRegistryGc, planRegistryGc } from "./gc-registry.js";
import { planGc } from "./gc-plan.js";
import {
  pointedImageHashes,
  scanAnswerCaches,
  scanCache,
  scanLayerCache,
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
  versions: z.boolean().optional(),
  keep: z.string().optional(),
  keepDays: z.string().optional(),
  env: z.string().optional(),
  workspace: z.string().optional(),
  registry: z.boolean().optional(),
});

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export function registerGcCommand(program: Command, io: CliIo): void {
  program
    .command("gc")
    .description(
      "Remove leftover build contexts, old or excess package-cache entries and layer-cache blobs, and envforge images no version points to",
    )
    .option("--max-age <days>", "cache entries and images unused this long go", "30")
    .option(
      "--max-cache-size <size>",
      "trim the package cache, and the layer cache, each to this size (e.g. 20G, 500M)",
      "20G",
    )
    .option("--context-age <hours>", "build contexts older than this are leftovers", "6")
    .option("--versions", "apply the retention policy to environment versions first")
    .option("--keep <n>", "with --versions: keep the newest N versions of each environment")
    .option("--keep-days <days>", "with --versions: keep versions registered within D days")
    .option("--env <name>", "with --versions: only this environment")
    .option("--workspace <name>", "with --versions: this workspace (default: default)")
    .option(
      "--registry",
      "also delete envforge_<hash> images no version points to from the configured registry",
    )
    .option("--dry-run", "only print what would be removed")
    .option("--json", "print JSON for scripts")
    .addHelpText(
      "after",
      "\nLabelled versions and each environment's latest are always kept.\nExamples:\n  envforge gc --versions --keep 10 --keep-days 90 --dry-run\n  envforge gc --registry --dry-run",
    )
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
  const cacheDir = homeCacheDir(config.home, "pkgs");
  const layerDir = homeCacheDir(config.home, "layers");
  const notes: string[] = [];

  const retention = retentionOf(options);
  const store = await openWorkspaceStore({ settings: config });
  let pointedTo: Set<string>;
  let pruned: PruneVersionsResult | undefined;
  try {
    const service = createEnvironmentService({
      store,
      curated: shippedCuratedCatalog({ settings: config.parse }),
    });
    if (retention !== undefined) {
      pruned = await service.pruneVersions({
        ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
        ...(options.env === undefined ? {} : { name: options.env }),
        policy: retention,
        dryRun: options.dryRun === true,
      });
    }
    // A dry run deleted nothing: the images of the versions it would delete count as free.
    pointedTo = await pointedImageHashes(service, pruned?.dryRun === true ? pruned : undefined);
  } finally {
    await store.close();
  }

  let registryPlan: RegistryGcPlan | undefined;
  const registryClient = openRegistry({ env, timeoutMs: 30_000 });
  if (options.registry === true) {
    if (config.registry === undefined) {
      throw ValidationError.single({
        key: "--registry",
        message: "no registry is configured",
        allowed: "ENVFORGE_REGISTRY or registry in the config file, e.g. 127.0.0.1:5000/envforge",
      });
    }
    registryPlan = await planRegistryGc({
      registry: registryClient,
      location: config.registry,
      pointedTo,
    });
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
    layers: await scanLayerCache(layerDir),
    answers: await scanAnswerCaches(config.home),
    images,
    pointedTo,
  });

  if (options.dryRun !== true) {
    await apply(plan, { cacheDir, layerDir, docker });
    if (registryPlan !== undefined && config.registry !== undefined) {
      await applyRegistryGc(registryClient, config.registry, registryPlan);
    }
  }
  const freed = plan.cache.reduce((sum, e) => sum + e.bytes, 0);
  const layersFreed = plan.layers.reduce((sum, e) => sum + e.bytes, 0);
  if (options.json === true) {
    return writeJson(io, {
      dryRun: options.dryRun === true,
      ...plan,
      cacheBytesFreed: freed,
      layerCacheBytesFreed: layersFreed,
      ...(pruned === undefined ? {} : { versions: { deleted: pruned.deleted, kept: pruned.kept } }),
      ...(registryPlan === undefined ? {} : { registry: registryPlan }),
      notes,
    });
  }
  const verb = options.dryRun === true ? "would remove" : "removed";
  if (pruned !== undefined) {
    writeLine(io, `${verb} ${pruned.deleted.length} version(s) of workspace ${pruned.workspace}`);
    for (const v of pruned.deleted) writeLine(io, `  ${v.name}@${v.version} (${v.createdAt})`);
  }
  if (registryPlan !== undefined) {
    writeLine(
      io,
      `${verb} ${registryPlan.images.length} image(s) from registry ${config.registry ?? ""}`,
    );
    for (const i of registryPlan.images) writeLine(io, `  ${i.repository}:${i.tag} ${i.digest}`);
    for (const s of registryPlan.skipped) notes.push(`left alone: ${s.reference}: ${s.reason}`);
  }
  writeLine(io, `${verb} ${plan.contexts.length} build context(s)`);
  writeLine(io, `${verb} ${plan.cache.length} package cache entr(ies), ${formatBytes(freed)}`);
  writeLine(io, `${verb} ${plan.layers.length} layer cache blob(s), ${formatBytes(layersFreed)}`);
  writeLine(io, `${verb} ${plan.answers.length} remembered answer(s) (SBOM lookups, interpreters)`);
  writeLine(io, `${verb} ${plan.images.length} image(s) no version points to`);
  for (const image of plan.images) writeLine(io, `  ${image.imageHash} ${image.id}`);
  for (const note of notes) io.stderr.write(`envforge gc: ${note}\n`);
}

async function apply(
  plan: GcPlan,
  options: {
    readonly cacheDir: string;
    readonly layerDir: string;
    readonly docker: ReturnType<typeof dockerFromHost>;
  },
): Promise<void> {
  for (const context of plan.contexts) await rm(context.path, { recursive: true, force: true });
  for (const entry of plan.cache) {
    for (const ext of ["tar.bz2", "conda"]) {
      await rm(join(options.cacheDir, "archives", `${entry.key}.${ext}`), { force: true });
    }
    await rm(join(options.cacheDir, "extracted", entry.key), { recursive: true, force: true });
  }
  for (const entry of plan.layers) {
    await rm(join(options.layerDir, "blobs", entry.key), { force: true });
  }
  for (const entry of plan.answers) await rm(entry.path, { force: true });
  for (const image of plan.images) {
    // By id, with every tag it has: all of them name the same unreferenced image hash.
    await options.docker.getImage(image.id).remove({ force: true });
  }
}

function retentionOf(options: z.infer<typeof Options>): RetentionPolicy | undefined {
  if (options.versions !== true) {
    for (const [flag, value] of [
      ["--keep", options.keep],
      ["--keep-days", options.keepDays],
      ["--env", options.env],
    ] as const) {
      if (value !== undefined) {
        throw ValidationError.single({
          key: flag,
          message: "only applies with --versions",
          allowed: `--versions ${flag} …`,
        });
      }
    }
    return undefined;
  }
  return {
    ...(options.keep === undefined ? {} : { keepNewest: numberOf(options.keep, "--keep") }),
    ...(options.keepDays === undefined
      ? {}
      : { keepDays: numberOf(options.keepDays, "--keep-days") }),
  };
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
