import { randomUUID } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { channelConfigFromEnv, resolveChannels } from "../../conda/channels.js";
import { importCondaLock } from "../../conda/conda-lock-import.js";
import { formatExplicitSpec, importExplicitSpec } from "../../conda/explicit-spec.js";
import { lockMismatches } from "../../conda/lock-check.js";
import { lockDefinition } from "../../conda/lock-definition.js";
import { formatLockFile, LOCK_FILE_NAME, parseLockFile } from "../../conda/lock-file.js";
import { NotFoundError, ValidationError } from "../../errors/index.js";
import { lockPip } from "../../pip/lock-pip.js";
import type { Definition } from "../../definition/definition.js";
import { definitionHash, stripUrlCredentials } from "../../definition/definition-hash.js";
import type { Lock } from "../../definition/lock.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { readDefinitionInput, resolveFrom } from "../definition-input.js";

export interface LockCommandOptions {
  readonly output?: string;
  readonly check?: boolean;
  readonly platform: readonly string[];
  readonly export?: string;
  readonly import?: string;
  readonly offline?: boolean;
  readonly json?: boolean;
  readonly kind?: string;
  readonly dockerfilePath?: string;
}

export async function runLock(file: string, options: LockCommandOptions, io: CliIo): Promise<void> {
  const config = io.config;
  const definition = await readDefinitionInput(io, file, options);
  const baseDir = dirname(resolve(io.cwd, resolveFrom(io, file)));
  const lockPath =
    options.output === undefined ? join(baseDir, LOCK_FILE_NAME) : resolve(io.cwd, options.output);
  const shownLockPath = relative(io.cwd, lockPath) || lockPath;

  if (options.check) {
    await checkLock({ definition, file, baseDir, lockPath, shownLockPath, options, io });
    return;
  }
  if (options.export !== undefined && options.export !== "explicit") {
    throw ValidationError.single({
      key: "--export",
      message: "unknown export format",
      found: options.export,
      allowed: "explicit",
    });
  }

  const started = performance.now();
  const condaLock =
    options.import === undefined
      ? await lockDefinition({
          definition,
          channelConfig: channelConfigFromEnv(io.env),
          baseDir,
          cacheDir: join(config.home, "cache", "repodata"),
          ...(options.platform.length > 0 ? { platforms: options.platform } : {}),
          ...(options.offline ? { offline: true } : {}),
          file,
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
  const lock = await withPip(condaLock, definition, options, io);
  const seconds = Math.round(performance.now() - started) / 1000;

  if (options.export === "explicit") {
    const [first, ...others] = lock.platforms;
    if (first === undefined || others.length > 0) {
      throw ValidationError.single({
        key: "--platform",
        message: "an explicit spec holds one platform: choose it with --platform",
        found: lock.platforms.map((p) => p.platform).join(", ") || "none",
      });
    }
    const text = formatExplicitSpec(lock, first.platform);
    if (options.output === undefined || options.output === "-") io.stdout.write(text);
    else await writeAtomically(lockPath, text);
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
    });
    return;
  }
  for (const p of lock.platforms) {
    writeLine(io, `${p.platform}: ${p.conda.length} conda packages, ${p.pip.length} pip packages`);
  }
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
  const { definition, io, shownLockPath } = input;
  const text = await readFile(input.lockPath, "utf8").catch((error: unknown) => {
    throw new NotFoundError(
      `${shownLockPath} does not exist; run \`envforge lock ${input.file}\` to make it`,
      { cause: error },
    );
  });
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
  const problems = lockMismatches(
    lock,
    { definitionHash: definitionHash(definition), channels, platforms },
    shownLockPath,
  );
  if (problems.length > 0) throw new ValidationError(problems);
  if (input.options.json) writeJson(io, { file: shownLockPath, upToDate: true });
  else writeLine(io, `${shownLockPath} is up to date with ${input.file}`);
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
  if (/^@EXPLICIT\s*$/m.test(text)) {
    return importExplicitSpec({
      text,
      file: path,
      definitionHash: hash,
      platform: options.platform[0] ?? definition.platform,
    });
  }
  return importCondaLock({ text, file: path, definitionHash: hash });
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
  const pip = await lockPip({
    definition,
    lock,
    defaultIndexUrl: config.pipIndexUrl,
    timeoutMs: config.networkTimeoutMs,
  });
  if (pip.kind === "unavailable") {
    io.stderr.write(`warning: pip requirements not locked: ${pip.reason}\n`);
    return lock;
  }
  return pip.lock;
}
