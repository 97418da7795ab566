import { readFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { installLock } from "../../conda/install.js";
import type { InstallResult } from "../../conda/install.js";
import { parseLockFile } from "../../conda/lock-file.js";
import { PackageCache } from "../../conda/package-cache.js";
import { installProgress } from "../../builders/install-progress.js";
import { stderrDisplay } from "../progress/progress-display.js";
import { isTerminal } from "../progress/terminal-style.js";
import { NotFoundError, ValidationError } from "../../errors/index.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { homeCacheDir } from "../../host/home-caches.js";

export interface InstallCommandOptions {
  readonly prefix: string;
  readonly targetPrefix?: string;
  readonly platform?: string;
  readonly concurrency?: string;
  readonly hardlink?: boolean;
  readonly json?: boolean;
}

export async function runInstall(
  file: string,
  options: InstallCommandOptions,
  io: CliIo,
): Promise<void> {
  const config = io.config;
  const lockPath = resolve(io.cwd, file);
  const shown = relative(io.cwd, lockPath) || lockPath;
  const text = await readFile(lockPath, "utf8").catch((error: unknown) => {
    throw new NotFoundError(`${shown} does not exist; make it with \`envforge lock\``, {
      cause: error,
    });
  });
  const lock = parseLockFile(text, shown);
  const concurrency = parseConcurrency(options.concurrency);
  const platform = lock.platforms.find((p) => p.platform === options.platform) ?? lock.platforms[0];
  // Bars on a terminal only: off one, the summary below has each stage's timing.
  const display = isTerminal(io.stderr) && options.json !== true ? stderrDisplay(io) : undefined;
  const onEvent =
    display === undefined
      ? undefined
      : installProgress(platform?.conda ?? [], display.progress.onProgress);
  await display?.progress.ready;
  let result: InstallResult;
  try {
    result = await installLock({
      lock,
      prefixDir: resolve(io.cwd, options.prefix),
      ...(options.targetPrefix === undefined ? {} : { targetPrefix: options.targetPrefix }),
      ...(options.platform === undefined ? {} : { platform: options.platform }),
      cache: new PackageCache({
        dir: homeCacheDir(config.home, "pkgs"),
        connectTimeoutMs: config.networkTimeoutMs,
        idleTimeoutMs: config.networkTimeoutMs,
      }),
      ...(concurrency === undefined ? {} : { concurrency }),
      linkMode: options.hardlink === true ? "hardlink" : "copy",
      command: ["envforge", "install", file, "--prefix", options.prefix].join(" "),
      ...(onEvent === undefined ? {} : { onEvent }),
    });
  } finally {
    display?.progress.stop();
  }
  if (options.json === true) {
    writeJson(io, {
      prefix: result.prefixDir,
      targetPrefix: result.targetPrefix,
      platform: result.platform,
      python: result.python ?? null,
      packages: result.packages,
      downloaded: result.packages.filter((p) => p.fetched).length,
      clobbers: result.clobbers,
      linkScripts: result.linkScripts,
      warnings: result.warnings,
      seconds: {
        fetch: seconds(result.timings.fetchMs),
        link: seconds(result.timings.linkMs),
        total: seconds(result.timings.totalMs),
      },
    });
    return;
  }
  for (const warning of result.warnings) io.stderr.write(`warning: ${warning}\n`);
  const downloaded = result.packages.filter((p) => p.fetched).length;
  writeLine(
    io,
    `installed ${result.packages.length} packages into ${result.prefixDir}` +
      (result.targetPrefix === result.prefixDir ? "" : ` for ${result.targetPrefix}`) +
      ` (${downloaded} downloaded, ${result.packages.length - downloaded} from the cache) in ${seconds(result.timings.totalMs)} s`,
  );
}

function parseConcurrency(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw ValidationError.single({
      key: "--concurrency",
      message: "not a number of parallel downloads",
      found: JSON.stringify(value),
      allowed: "an integer from 1 to 64",
    });
  }
  return n;
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}
