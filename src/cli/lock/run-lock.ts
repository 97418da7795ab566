import { randomUUID } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { channelConfigFromEnv, resolveChannels } from "../../conda/channels.js";
import { formatCondaLock } from "../../conda/conda-lock-export.js";
import { formatPixiLock, importPixiLock } from "../../conda/pixi-lock.js";
import { importCondaLock } from "../../conda/conda-lock-import.js";
import { formatExplicitSpec, importExplicitSpec } from "../../conda/explicit-spec.js";
import { lockMismatches } from "../../conda/lock-check.js";
import { lockDefinition } from "../../conda/lock-definition.js";
import { formatLockFile, LOCK_FILE_NAME, parseLockFile } from "../../conda/lock-file.js";
import { ExternalError, NotFoundError, ValidationError } from "../../errors/index.js";
import type { Problem } from "../../errors/index.js";
import { lockPip } from "../../pip/lock-pip.js";
import type { Definition } from "../../definition/definition.js";
import { definitionHash, stripUrlCredentials } from "../../definition/definition-hash.js";
import type { Lock, LockContent, LockedAptPackage } from "../../definition/lock.js";
import { formatImageReference } from "../../definition/image-reference.js";
import { resolveApt } from "../../jobs/apt-resolve.js";
import { resolutionKey } from "../../definition/resolution-hash.js";
import { aptOnBuiltBaseProblem, needsImagePipLock } from "../../workspace/lock-resolver.js";
import type { PipTarget } from "../../pip/pip-target.js";
import { requireInterpreterTarget } from "../../pip/pip-target.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { readDefinitionInput, resolveFrom } from "../definition-input.js";
import { homeCacheDir } from "../../host/home-caches.js";

export interface LockCommandOptions {
  readonly output?: string;
  readonly check?: boolean;
  readonly platform: readonly string[];
  readonly export?: string;
  readonly import?: string;
  /** Package names to re-resolve while the rest of the existing lock stays pinned. */
  readonly update?: readonly string[];
  readonly offline?: boolean;
  readonly json?: boolean;
  readonly kind?: string;
  readonly dockerfilePath?: string;
}

const EXPORT_FORMATS = ["explicit", "conda-lock", "pixi"] as const;
type ExportFormat = (typeof EXPORT_FORMATS)[number];

export async function runLock(file: string, options: LockCommandOptions, io: CliIo): Promise<void> {
  const config = io.config;
  const exportFormat = options.export === undefined ? undefined : exportFormatOf(options.export);
  if (isLockFilePath(file)) {
    await exportLockFile(file, exportFormat, options, io);
    return;
  }
  const definition = await readDefinitionInput(io, file, options);
  const baseDir = dirname(resolve(io.cwd, resolveFrom(io, file)));
  const lockPath =
    options.output === undefined ? join(baseDir, LOCK_FILE_NAME) : resolve(io.cwd, options.output);
  const shownLockPath = relative(io.cwd, lockPath) || lockPath;

  if (options.check) {
    await checkLock({ definition, file, baseDir, lockPath, shownLockPath, options, io });
    return;
  }
  const update = options.update ?? [];
  // The lock there, when it still fits: exported as it is, or the base of --update.
  const existing =
    (exportFormat !== undefined && options.import === undefined) || update.length > 0
      ? await fittingLock({ definition, file, baseDir, lockPath, shownLockPath, options, io })
      : undefined;
  if (update.length > 0) checkUpdate(update, existing, shownLockPath);
  if (exportFormat !== undefined && existing?.fits === true && update.length === 0) {
    await writeExport(existing.lock, exportFormat, options, { lockPath, shownLockPath, io });
    return;
  }

  const started = performance.now();
  const condaLock =
    options.import === undefined
      ? await lockDefinition({
          definition,
          channelConfig: channelConfigFromEnv(io.env),
          baseDir,
          cacheDir: homeCacheDir(config.home, "repodata"),
          ...(options.platform.length > 0 ? { platforms: options.platform } : {}),
          ...(options.offline ? { offline: true } : {}),
          file,
          ...(existing !== undefined && update.length > 0
            ? { previous: { lock: existing.lock, update } }
            : {}),
          // Progress on stderr, so stdout stays the result (and --json stays pure JSON).
          onEvent: (event) => {
            if (options.json) return;
            io.stderr.write(
              event.type === "repodata"
                ? `repodata ${event.channel} ${event.subdir}: ${event.source} (${event.ms} ms)\n`
                : `solved ${event.platform}: ${event.packages} packages (${event.ms} ms)\n`,
            );
          },
        })
      : await importLock(options.import, definition, options, io);
  const lock = await withApt(await withPip(condaLock, definition, options, io), definition, io);
  const seconds = Math.round(performance.now() - started) / 1000;

  if (exportFormat !== undefined) {
    await writeExport(lock, exportFormat, options, { lockPath, shownLockPath, io });
    return;
  }

  const text = formatLockFile(lock);
  if (options.output === "-") {
    io.stdout.write(text);
    return;
  }
  const before = await readFile(lockPath, "utf8").catch(() => undefined);
  const written = before !== text;
  if (written) await writeAtomically(lockPath, text);
  if (options.json) {
    writeJson(io, {
      file: shownLockPath,
      written,
      definitionHash: lock.definitionHash,
      seconds,
      platforms: lock.platforms.map((p) => ({
        platform: p.platform,
        conda: p.conda.length,
        pip: p.pip.length,
      })),
      ...(lock.vcs === undefined
        ? {}
        : { vcs: lock.vcs.map((v) => ({ name: v.name, commit: v.commit, url: v.url })) }),
    });
    return;
  }
  for (const p of lock.platforms) {
    writeLine(io, `${p.platform}: ${p.conda.length} conda packages, ${p.pip.length} pip packages`);
  }
  // VCS requirements: the commit each ref named, which every build installs.
  for (const v of lock.vcs ?? []) writeLine(io, `vcs: ${v.name} at ${v.commit} (${v.url})`);
  writeLine(
    io,
    `${written ? "wrote" : "unchanged"} ${shownLockPath} (${lock.definitionHash}) in ${seconds} s`,
  );
}

interface CheckInput {
  readonly definition: Definition;
  readonly file: string;
  readonly baseDir: string;
  readonly lockPath: string;
  readonly shownLockPath: string;
  readonly options: LockCommandOptions;
  readonly io: CliIo;
}

async function checkLock(input: CheckInput): Promise<void> {
  const { io, shownLockPath } = input;
  const found = await fittingLock(input);
  if (found === undefined) {
    throw new NotFoundError(
      `${shownLockPath} does not exist; run \`envforge lock ${input.file}\` to make it`,
    );
  }
  if (found.problems.length > 0) throw new ValidationError(found.problems);
  if (input.options.json) writeJson(io, { file: shownLockPath, upToDate: true });
  else writeLine(io, `${shownLockPath} is up to date with ${input.file}`);
}

/**
 * The lock at lockPath and every way it differs from the definition (each changed input, the
 * channels as configured now, the platforms); undefined when there is no file.
 */
async function fittingLock(
  input: CheckInput,
): Promise<{ lock: LockContent; fits: boolean; problems: Problem[] } | undefined> {
  const { definition, io, shownLockPath } = input;
  const text = await readFile(input.lockPath, "utf8").catch((error: unknown) => {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return undefined;
    throw new NotFoundError(`${shownLockPath} cannot be read`, { cause: error });
  });
  if (text === undefined) return undefined;
  const lock = parseLockFile(text, shownLockPath);
  const conda = definition.python.userManagedDependencies ? undefined : definition.conda;
  const channels =
    conda === undefined
      ? []
      : resolveChannels({
          channels: conda.channels,
          config: channelConfigFromEnv(io.env),
          baseDir: input.baseDir,
          file: input.file,
        }).map((channel) => stripUrlCredentials(channel.url));
  // Without --platform, a lock made for more platforms still fits if it has the definition's.
  const platforms =
    input.options.platform.length > 0
      ? input.options.platform
      : [...new Set([...lock.platforms.map((p) => p.platform), definition.platform])];
  const problems = lockMismatches(lock, { definition, channels, platforms }, shownLockPath);
  return { lock, fits: problems.length === 0, problems };
}

/** --update needs the lock it updates, and names only packages that lock has. */
function checkUpdate(
  update: readonly string[],
  existing: { readonly lock: LockContent } | undefined,
  shownLockPath: string,
): void {
  if (existing === undefined) {
    throw ValidationError.single({
      key: "--update",
      message: `${shownLockPath} does not exist: --update re-resolves packages of an existing lock`,
      allowed: "`envforge lock FILE` first, then --update NAME",
    });
  }
  const names = new Set(
    existing.lock.platforms.flatMap((p) => p.conda.map((c) => c.name.toLowerCase())),
  );
  const unknown = update.filter((name) => !names.has(name.toLowerCase()));
  if (unknown.length > 0) {
    throw new ValidationError(
      unknown.map((name) => ({
        file: shownLockPath,
        key: "--update",
        message: "no conda package of this name is in the lock",
        found: name,
        allowed: [...names].sort().join(", ") || "none",
      })),
    );
  }
}

function exportFormatOf(value: string): ExportFormat {
  const format = EXPORT_FORMATS.find((f) => f === value);
  if (format === undefined) {
    throw ValidationError.single({
      key: "--export",
      message: "unknown export format",
      found: value,
      allowed: EXPORT_FORMATS.join(", "),
    });
  }
  return format;
}

/** `envforge lock envforge.lock --export FORMAT`: a lock file is converted, never solved. */
function isLockFilePath(file: string): boolean {
  return /\.lock$/.test(file);
}

async function exportLockFile(
  file: string,
  format: ExportFormat | undefined,
  options: LockCommandOptions,
  io: CliIo,
): Promise<void> {
  if (format === undefined) {
    throw ValidationError.single({
      file,
      message: "a lock file is exported, not locked: add --export",
      allowed: EXPORT_FORMATS.map((f) => `--export ${f}`).join(", "),
    });
  }
  const path = resolve(io.cwd, resolveFrom(io, file));
  const shownLockPath = relative(io.cwd, path) || path;
  const text = await readFile(path, "utf8").catch((error: unknown) => {
    throw new NotFoundError(`${shownLockPath} cannot be read`, { cause: error });
  });
  const lock = parseLockFile(text, shownLockPath);
  await writeExport(lock, format, options, { lockPath: path, shownLockPath, io });
}

/** The lock in another tool's format, on stdout or in --output (never over the lock itself). */
async function writeExport(
  lock: LockContent,
  format: ExportFormat,
  options: LockCommandOptions,
  where: { readonly lockPath: string; readonly shownLockPath: string; readonly io: CliIo },
): Promise<void> {
  const { io } = where;
  let text: string;
  if (format === "explicit") {
    const wanted = options.platform[0];
    const platforms = lock.platforms.map((p) => p.platform);
    const platform = wanted ?? (platforms.length === 1 ? platforms[0] : undefined);
    if (platform === undefined || options.platform.length > 1) {
      throw ValidationError.single({
        key: "--platform",
        message: "an explicit spec holds one platform: choose it with --platform",
        found: platforms.join(", ") || "none",
      });
    }
    text = formatExplicitSpec(lock, platform);
  } else if (format === "pixi") {
    text = formatPixiLock(lock);
  } else {
    text = formatCondaLock(lock, basename(where.shownLockPath));
  }
  const output = options.output === undefined ? "-" : options.output;
  if (output === "-") {
    io.stdout.write(text);
    return;
  }
  const target = resolve(io.cwd, output);
  if (target === where.lockPath) {
    throw ValidationError.single({
      key: "--output",
      message: "an export is never written over the envforge.lock it is made from",
      found: output,
    });
  }
  await writeAtomically(target, text);
}

async function importLock(
  path: string,
  definition: Definition,
  options: LockCommandOptions,
  io: CliIo,
): Promise<Lock> {
  const text = await readFile(resolve(io.cwd, path), "utf8").catch((error: unknown) => {
    throw new NotFoundError(`${path} cannot be read`, { cause: error });
  });
  const hash = definitionHash(definition);
  const imported = /^@EXPLICIT\s*$/m.test(text)
    ? importExplicitSpec({
        text,
        file: path,
        definitionHash: hash,
        platform: options.platform[0] ?? definition.platform,
      })
    : /^environments:/m.test(text)
      ? importPixiLock({ text, file: path, definitionHash: hash })
      : importCondaLock({ text, file: path, definitionHash: hash });
  // Keyed like a lock envforge resolved, so --check and a later build take it as this one's.
  return { ...imported, resolution: resolutionKey(definition) };
}

/** Never a half-written lock: write beside it, then rename over it. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, text);
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}

/**
 * Adds the apt part: the definition's apt packages and what they pull in, at the versions the
 * base image's own apt sources give, resolved in a throwaway container of that base (by digest
 * when the lock pinned it). An engine that cannot be reached leaves apt unpinned, said on
 * stderr; a package the sources do not have is a ValidationError, and nothing is written.
 */
async function withApt(lock: Lock, definition: Definition, io: CliIo): Promise<Lock> {
  if (definition.apt.length === 0) return lock;
  // Refused, as registration refuses it (workspace/lock-resolver.ts says why).
  const refused = aptOnBuiltBaseProblem(definition);
  if (refused !== undefined) throw ValidationError.single(refused);
  if (definition.base.kind !== "image") return lock;
  const reference = definition.base.image;
  const image = formatImageReference(
    reference.digest === undefined && lock.baseImageDigest !== undefined
      ? { ...reference, digest: lock.baseImageDigest }
      : reference,
  );
  const { engineJobRunner } = await import("../../jobs/docker-job-runner.js");
  const runner = engineJobRunner(io.config.dockerHost, io.env);
  let apt: LockedAptPackage[];
  try {
    apt = await resolveApt({ image, packages: definition.apt, runner });
  } catch (error) {
    if (error instanceof ExternalError) {
      io.stderr.write(`warning: apt packages not locked: ${error.message}\n`);
      return lock;
    }
    throw error;
  }
  return {
    ...lock,
    platforms: lock.platforms.map((p) => (p.platform === definition.platform ? { ...p, apt } : p)),
  };
}

/**
 * Adds the pip part (resolved by pip for each platform's python and tags). What cannot be locked
 * for now (host or index not reachable) is said, not hidden: the lock is still written for its
 * conda part. Input that cannot be locked anywhere is a ValidationError, and nothing is written.
 */
async function withPip(
  lock: Lock,
  definition: Definition,
  options: LockCommandOptions,
  io: CliIo,
): Promise<Lock> {
  if (options.offline) return lock;
  const config = io.config;
  const target = needsImagePipLock(definition)
    ? await interpreterTarget(definition, io)
    : undefined;
  if (typeof target === "string") {
    io.stderr.write(`warning: pip requirements not locked: ${target}\n`);
    return lock;
  }
  const pip = await lockPip({
    definition,
    lock,
    defaultIndexUrl: config.pipIndexUrl,
    timeoutMs: config.networkTimeoutMs,
    ...(target === undefined ? {} : { target }),
  });
  if (pip.kind === "unavailable") {
    io.stderr.write(`warning: pip requirements not locked: ${pip.reason}\n`);
    // The VCS commits were pinned before the wheels failed: the file keeps them.
    return pip.vcs === undefined ? lock : { ...lock, vcs: pip.vcs };
  }
  return pip.lock;
}

/**
 * pip's target for user-managed Python: the base image's own interpreter, read in that image
 * through the configured engine (jobs/python-probe.ts, kept by digest under the home's cache),
 * as registration reads it. An engine out of reach is a reason to say (the pip part is left
 * unlocked); an image without that interpreter, or not CPython on glibc, is a ValidationError.
 */
async function interpreterTarget(definition: Definition, io: CliIo): Promise<PipTarget | string> {
  if (definition.base.kind !== "image") {
    return "the image's interpreter is read in an image base only";
  }
  const image = formatImageReference(definition.base.image);
  const { interpreterPath } = definition.python;
  const { engineJobRunner } = await import("../../jobs/docker-job-runner.js");
  const { probePython } = await import("../../jobs/python-probe.js");
  const runner = engineJobRunner(io.config.dockerHost, io.env);
  let facts;
  try {
    facts = await probePython({
      image,
      interpreterPath,
      runner,
      cacheDir: homeCacheDir(io.config.home, "interpreters"),
    });
  } catch (error) {
    if (error instanceof ExternalError) {
      return `the interpreter ${interpreterPath} of ${image} could not be read: ${error.message}`;
    }
    throw error;
  }
  return requireInterpreterTarget(facts, {
    platform: definition.platform,
    interpreterPath,
    image,
  });
}
