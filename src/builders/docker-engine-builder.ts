/**
 * The Docker engine adapter of the ImageBuilder port: cache check in the registry, conda groups
 * linked and locked wheels installed by envforge's installers, a BuildKit build through the Engine API (dockerode), push
 * through the engine with the credentials of the Docker config. With no registry the image stays
 * in the engine under its hash name, and the cache check asks the engine instead. A user
 * Dockerfile or build context is built first on the user's files alone, then envforge's layers on
 * top of it (src/recipe/README.md, "The build context").
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import type { PackageCache } from "../conda/package-cache.js";
import { EnvforgeError, ExternalError, ValidationError } from "../errors/index.js";
import type { CredentialSource, Registry } from "../image/index.js";
import * as z from "zod";
import { IMAGE_HASH_LABEL } from "../definition/image-hash.js";
import { LAYERS_BASE_ARGUMENT, pipNetrc } from "../recipe/index.js";
import { buildTarget } from "./build-target.js";
import { missingLockProblem } from "../recipe/needs-lock.js";
import { fetchStageLine, installProgress, seconds } from "./install-progress.js";
import type { Recipe } from "../recipe/index.js";
import type { ContextItem } from "./build-context.js";
import { verifiedContextFiles } from "./context-files.js";
import { BuildkitLogDecoder } from "./buildkit-log.js";
import type { SessionCredentials } from "./buildkit-session.js";
import { forEachLine, PushProgress } from "./engine-streams.js";
import { BuildFailedError, LAST_LINES } from "./image-builder.js";
import type { BuildLogLine, BuildOutcome, BuildRequest, ImageBuilder } from "./image-builder.js";

export interface DockerEngineBuilderOptions {
  readonly docker: Docker;
  /** For the cache check (HEAD of the manifest). */
  readonly registry: Registry;
  /** Registry credentials for the push and for base images the build pulls. */
  readonly credentials: CredentialSource;
  /** Where conda packages are fetched and unpacked (`$ENVFORGE_HOME/cache/pkgs`). */
  readonly packageCache: PackageCache;
  /** Parent of each build's temporary folder; default the OS temp folder. */
  readonly workDir?: string;
  /** Time of every file in a build context (SOURCE_DATE_EPOCH); default 0. */
  readonly sourceDateEpoch?: number;
  /** Tag pushed; default `latest`. */
  readonly tag?: string;
  /** Monotonic milliseconds; default performance.now. */
  readonly clock?: () => number;
}

const LAYERS_DOCKERFILE = "envforge/layers.Dockerfile";

export class DockerEngineBuilder implements ImageBuilder {
  readonly #options: DockerEngineBuilderOptions;

  constructor(options: DockerEngineBuilderOptions) {
    this.#options = options;
  }

  async build(request: BuildRequest): Promise<BuildOutcome> {
    const clock = this.#options.clock ?? (() => performance.now());
    const started = clock();
    const { recipe, registry, repository } = buildTarget(request);
    const tag = this.#options.tag ?? "latest";
    const log = new LogTail(request.onLog);
    log.envforge(
      `image ${repository}:${tag}${registry === undefined ? " (no registry: kept in the local Docker engine)" : ""}`,
    );

    const existing =
      registry === undefined
        ? await this.#inLocalEngine(`${repository}:${tag}`, recipe.imageHash, log, request.signal)
        : await this.#inRegistry(`${repository}:${tag}`, log, request.signal);
    if (existing !== undefined) {
      return {
        imageName: repository,
        digest: existing,
        cacheHit: true,
        pushedBlobs: 0,
        durationMs: clock() - started,
      };
    }
    const secrets = secretsOf(request, recipe);
    refuseUnlockedConda(request, recipe);

    const workDir = await mkdtemp(join(this.#options.workDir ?? tmpdir(), "envforge-build-"));
    const userTag = `envforge-user-stage/${recipe.imageHash}:${randomBytes(6).toString("hex")}`;
    try {
      const trees = [
        ...(await this.#linkGroups(request, recipe, workDir, log)),
        ...(await this.#installPip(request, recipe, workDir, log)),
        ...(await this.#fetchVcs(request, recipe, workDir, log)),
        ...(await localItems(request, recipe)),
      ];
      request.signal?.throwIfAborted();
      const generated: ContextItem[] = recipe.generatedFiles.map((file) => ({
        kind: "text",
        path: file.path,
        content: file.content,
      }));
      const build = { signal: request.signal, log, secrets };
      let imageId: string;
      if (recipe.layersDockerfile === undefined) {
        imageId = await this.#engineBuild({
          ...build,
          items: [...generated, ...trees],
          dockerfile: recipe.dockerfilePath,
          tag: `${repository}:${tag}`,
          platform: recipe.dockerPlatform,
        });
      } else {
        log.envforge("building the user's Dockerfile on the user's files");
        await this.#engineBuild({
          ...build,
          items: await userItems(request),
          dockerfile: userDockerfilePath(request),
          tag: userTag,
          platform: recipe.dockerPlatform,
        });
        log.envforge("adding envforge's layers");
        imageId = await this.#engineBuild({
          ...build,
          items: [
            ...generated,
            { kind: "text", path: LAYERS_DOCKERFILE, content: recipe.layersDockerfile },
            ...trees,
          ],
          dockerfile: LAYERS_DOCKERFILE,
          tag: `${repository}:${tag}`,
          platform: recipe.dockerPlatform,
          buildargs: { [LAYERS_BASE_ARGUMENT]: userTag },
        });
      }
      if (registry === undefined) {
        log.envforge(
          `kept ${repository}:${tag} (${imageId}) in the local engine; no registry, no push`,
        );
        return {
          imageName: repository,
          digest: imageId,
          cacheHit: false,
          pushedBlobs: 0,
          durationMs: clock() - started,
        };
      }
      const pushed = await this.#push(repository, tag, request.signal, log, request.onProgress);
      return {
        imageName: repository,
        digest: pushed.digest,
        cacheHit: false,
        pushedBlobs: pushed.count,
        durationMs: clock() - started,
      };
    } finally {
      if (recipe.layersDockerfile !== undefined) await untag(this.#options.docker, userTag);
      await rm(workDir, { recursive: true, force: true });
    }
  }

  async #linkGroups(
    request: BuildRequest,
    recipe: Recipe,
    workDir: string,
    log: LogTail,
  ): Promise<ContextItem[]> {
    if (recipe.packageGroups.length === 0 || request.lock === undefined) return [];
    // Loaded for a build that runs: a cache hit needs neither the installer nor BuildKit's gRPC.
    const { linkPrefixGroups } = await import("./prefix-groups.js");
    const at = (this.#options.clock ?? (() => performance.now()))();
    const onProgress = request.onProgress;
    const packages =
      request.lock.platforms.find((p) => p.platform === request.definition.platform)?.conda ?? [];
    const linked = await linkPrefixGroups({
      lock: request.lock,
      platform: request.definition.platform,
      groups: recipe.packageGroups,
      cache: this.#options.packageCache,
      workDir,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
      ...(onProgress === undefined ? {} : { onEvent: installProgress(packages, onProgress) }),
    });
    for (const warning of linked.install.warnings) log.envforge(`conda: ${warning}`);
    log.envforge(fetchStageLine(linked.install));
    const seconds = (((this.#options.clock ?? (() => performance.now()))() - at) / 1000).toFixed(1);
    log.envforge(
      `conda: linked ${linked.install.packages.length} packages into ${recipe.packageGroups.length} layer groups in ${seconds} s`,
    );
    return recipe.packageGroups.map((group) => ({
      kind: "tree" as const,
      path: group.directory,
      dir: linked.folders.get(group.name) ?? join(workDir, "groups", group.name),
    }));
  }

  async #installPip(
    request: BuildRequest,
    recipe: Recipe,
    workDir: string,
    log: LogTail,
  ): Promise<ContextItem[]> {
    if (recipe.pipLayers.length === 0 || recipe.pipScheme === undefined) return [];
    const { installPipLayers } = await import("./pip-layers-install.js");
    const clock = this.#options.clock ?? (() => performance.now());
    const at = clock();
    const installed = await installPipLayers({
      definition: request.definition,
      layers: recipe.pipLayers,
      scheme: recipe.pipScheme,
      cacheDir: this.#options.packageCache.dir,
      workDir,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
    log.envforge(
      `pip: installed ${installed.wheels.length} wheels into ${recipe.pipLayers.length} layers in ${((clock() - at) / 1000).toFixed(1)} s`,
    );
    return recipe.pipLayers.map((layer) => ({
      kind: "tree" as const,
      path: layer.directory,
      dir: installed.folders.get(layer.name) ?? join(workDir, "pip", layer.name),
    }));
  }

  /** Each VCS requirement's source at its locked commit, for the image's pip to build. */
  async #fetchVcs(
    request: BuildRequest,
    recipe: Recipe,
    workDir: string,
    log: LogTail,
  ): Promise<ContextItem[]> {
    if (recipe.vcsSources.length === 0) return [];
    const { fetchVcsSources } = await import("../pip/fetch-vcs.js");
    const folders = await fetchVcsSources({
      definition: request.definition,
      sources: recipe.vcsSources,
      workDir,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
    return recipe.vcsSources.map((source) => {
      log.envforge(`vcs: fetched ${source.name} at ${source.pin.commit}`);
      return {
        kind: "tree" as const,
        path: source.directory,
        dir: folders.get(source.name) ?? join(workDir, "vcs", source.name),
      };
    });
  }

  async #engineBuild(options: {
    readonly items: readonly ContextItem[];
    readonly dockerfile: string;
    readonly tag: string;
    readonly platform: string;
    readonly buildargs?: Readonly<Record<string, string>>;
    readonly signal: AbortSignal | undefined;
    readonly log: LogTail;
    readonly secrets: ReadonlyMap<string, string>;
  }): Promise<string> {
    const { docker } = this.#options;
    options.signal?.throwIfAborted();
    const [{ openBuildkitSession }, { contextTar }] = await Promise.all([
      import("./buildkit-session.js"),
      import("./build-context.js"),
    ]);
    const session = await openBuildkitSession({
      docker,
      secrets: options.secrets,
      credentials: (host) => this.#sessionCredentials(host),
    });
    const decoder = new BuildkitLogDecoder((line) => options.log.line(line));
    try {
      const context = contextTar({
        items: options.items,
        ...(this.#options.sourceDateEpoch === undefined
          ? {}
          : { sourceDateEpoch: this.#options.sourceDateEpoch }),
      });
      const stream = await dial(docker, {
        path: "/build?",
        method: "POST",
        file: context,
        isStream: true,
        ...(options.signal === undefined ? {} : { abortSignal: options.signal }),
        options: {
          version: "2",
          session: session.id,
          t: options.tag,
          dockerfile: options.dockerfile,
          networkmode: "host",
          platform: options.platform,
          rm: true,
          forcerm: true,
          ...(options.buildargs === undefined ? {} : { buildargs: options.buildargs }),
        },
        statusCodes: { 200: true, 400: "bad parameter", 500: "server error" },
      });
      await forEachLine(stream, (line) => decoder.pushLine(line));
    } catch (error) {
      options.signal?.throwIfAborted();
      if (error instanceof EnvforgeError) throw error;
      throw new BuildFailedError(`the Docker engine build failed: ${messageOf(error)}`, {
        lastLines: options.log.tail(),
        cause: error,
      });
    } finally {
      session.close();
    }
    options.signal?.throwIfAborted();
    const result = decoder.finish();
    if (result.error !== undefined || result.imageId === undefined) {
      const why = result.stepError ?? result.error ?? "the engine reported no image";
      throw new BuildFailedError(
        result.failedStep === undefined
          ? `build failed: ${why}`
          : `build failed at step ${result.failedStep}: ${why}`,
        {
          ...(result.failedStep === undefined ? {} : { step: result.failedStep }),
          lastLines: options.log.tail(),
        },
      );
    }
    options.log.envforge(`built ${options.tag} (${result.imageId})`);
    return result.imageId;
  }

  /**
   * The registry's manifest digest of the image, if it has it (the cache check with a registry).
   * The manifest is read and checked (type, digest header, shape) and its config blob fetched and
   * verified by digest: a registry that answers 200 to everything is no cache hit.
   */
  async #inRegistry(
    reference: string,
    log: LogTail,
    signal: AbortSignal | undefined,
  ): Promise<string | undefined> {
    const { registry } = this.#options;
    const options = signal === undefined ? {} : { signal };
    const existing = await registry.manifestExists(reference, options);
    if (!existing.exists) return undefined;
    const manifest = await registry.getManifest(reference, options);
    const repository = reference.replace(/:[^:/]*$/, "");
    if (manifest.configDigest !== undefined) {
      await registry.getBlob(repository, manifest.configDigest, options);
    }
    log.envforge(`cache hit: the registry has ${repository}@${manifest.digest}`);
    return manifest.digest;
  }

  /**
   * The local engine's image id of the image, when it has it under its name with the label of
   * this image hash (the cache check without a registry). A name that carries another label was
   * tagged by someone else: it is built again, which moves the name to the right image.
   */
  async #inLocalEngine(
    reference: string,
    imageHash: string,
    log: LogTail,
    signal: AbortSignal | undefined,
  ): Promise<string | undefined> {
    let inspected: unknown;
    try {
      inspected = await inspectImage(this.#options.docker, reference, signal);
    } catch (error) {
      signal?.throwIfAborted();
      if (statusCodeOf(error) === 404) return undefined;
      if (error instanceof EnvforgeError) throw error; // e.g. the engine could not be reached
      throw new ExternalError(
        `the Docker engine could not inspect ${reference}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    const image = InspectedImage.safeParse(inspected);
    const label = image.success ? image.data.Config?.Labels?.[IMAGE_HASH_LABEL] : undefined;
    if (!image.success || label !== imageHash) {
      log.envforge(
        `${reference} is in the local engine with ${label === undefined ? `no ${IMAGE_HASH_LABEL} label` : `${IMAGE_HASH_LABEL}=${label}`}; building it again`,
      );
      return undefined;
    }
    log.envforge(`cache hit: the local engine has ${reference} (${image.data.Id})`);
    return image.data.Id;
  }

  async #push(
    repository: string,
    tag: string,
    signal: AbortSignal | undefined,
    log: LogTail,
    onProgress?: BuildRequest["onProgress"],
  ): Promise<{ digest: string; count: number }> {
    const { docker } = this.#options;
    const host = repository.slice(0, repository.indexOf("/"));
    const found = await this.#options.credentials.find(host);
    const authconfig =
      found === undefined
        ? { serveraddress: host }
        : found.identityToken !== undefined
          ? { identitytoken: found.identityToken, serveraddress: host }
          : { username: found.username, password: found.password, serveraddress: host };
    log.envforge(
      `pushing ${repository}:${tag}${found === undefined ? "" : ` as ${found.username || "(identity token)"} (from ${found.source})`}`,
    );
    const clock = this.#options.clock ?? (() => performance.now());
    const pushStarted = clock();
    const progress = new PushProgress(
      onProgress === undefined
        ? undefined
        : (done, total) => onProgress({ stage: "push", done, total, unit: "bytes" }),
    );
    try {
      const stream = await docker
        .getImage(`${repository}:${tag}`)
        .push({ tag, authconfig, ...(signal === undefined ? {} : { abortSignal: signal }) });
      await forEachLine(stream, (line) => progress.pushLine(line));
    } catch (error) {
      signal?.throwIfAborted();
      throw new BuildFailedError(`push of ${repository}:${tag} failed: ${messageOf(error)}`, {
        step: "push",
        lastLines: log.tail(),
        cause: error,
      });
    }
    signal?.throwIfAborted();
    const result = progress.result();
    if (result.error !== undefined || result.digest === undefined) {
      throw new BuildFailedError(
        `push of ${repository}:${tag} failed: ${result.error ?? "the engine reported no digest"}`,
        { step: "push", lastLines: log.tail() },
      );
    }
    log.envforge(
      `pushed ${repository}@${result.digest}: ${result.pushed.length} layers sent, ${result.reused.length} already there, in ${seconds(clock() - pushStarted)} s`,
    );
    return { digest: result.digest, count: result.pushed.length };
  }

  async #sessionCredentials(host: string): Promise<SessionCredentials | undefined> {
    const found = await this.#options.credentials.find(host);
    if (found === undefined) return undefined;
    // BuildKit reads an empty user with a secret as an identity (refresh) token.
    return found.identityToken !== undefined
      ? { username: "", password: found.identityToken }
      : { username: found.username, password: found.password };
  }
}

/** Keeps the last lines for error reports while passing every line on. */
class LogTail {
  readonly #onLog: ((line: BuildLogLine) => void) | undefined;
  readonly #lines: string[] = [];

  constructor(onLog: ((line: BuildLogLine) => void) | undefined) {
    this.#onLog = onLog;
  }

  line(line: BuildLogLine): void {
    this.#lines.push(line.stream === "step" ? `#> ${line.text}` : line.text);
    if (this.#lines.length > LAST_LINES) this.#lines.shift();
    this.#onLog?.(line);
  }

  envforge(text: string): void {
    this.line({ stream: "envforge", text });
  }

  tail(): string[] {
    return [...this.#lines];
  }
}

function secretsOf(request: BuildRequest, recipe: Recipe): Map<string, string> {
  const secrets = new Map<string, string>();
  if (recipe.buildSecrets.length === 0) return secrets;
  const netrc = pipNetrc(request.definition);
  for (const secret of recipe.buildSecrets) {
    if (netrc !== undefined) secrets.set(secret.id, netrc);
  }
  return secrets;
}

function refuseUnlockedConda(request: BuildRequest, recipe: Recipe): void {
  if (recipe.packageGroups.length === 0) return;
  // The build service refuses this before queueing; a builder called directly refuses it too.
  const problem = missingLockProblem(request.definition, request.lock);
  if (problem !== undefined) throw ValidationError.single(problem);
}

async function userItems(request: BuildRequest): Promise<ContextItem[]> {
  const base = request.definition.base;
  if (base.kind === "build") {
    // From the workspace's content store, verified by sha256: never base.contextPath, which
    // names a folder on the machine that registered the definition.
    const content = await verifiedContextFiles(base.files, request.contextContent);
    return [{ kind: "listed", files: base.files, content }];
  }
  if (base.kind === "dockerfile")
    return [{ kind: "text", path: "Dockerfile", content: base.dockerfile }];
  return [];
}

/**
 * The build-context folders pip requirements name, copied to `envforge/local/<n>/` of the
 * layers' context (which holds none of the user's files), from the verified stored content.
 */
async function localItems(request: BuildRequest, recipe: Recipe): Promise<ContextItem[]> {
  const base = request.definition.base;
  if (recipe.localSources.length === 0 || base.kind !== "build") return [];
  const content = await verifiedContextFiles(base.files, request.contextContent);
  return recipe.localSources.map((source): ContextItem => {
    const prefix = source.path === "" ? "" : `${source.path}/`;
    const inside = base.files.filter((file) => file.path.startsWith(prefix));
    const moved = new Map<string, Uint8Array>();
    const files = inside.map((file) => {
      const path = `${source.directory}${file.path.slice(prefix.length)}`;
      const bytes = content.get(file.path);
      if (bytes !== undefined) moved.set(path, bytes);
      return { ...file, path };
    });
    return { kind: "listed", files, content: moved };
  });
}

function userDockerfilePath(request: BuildRequest): string {
  const base = request.definition.base;
  return base.kind === "build" ? base.dockerfilePath : "Dockerfile";
}

interface DialOptions {
  readonly path: string;
  readonly method: string;
  readonly file: Readable;
  readonly isStream: true;
  readonly abortSignal?: AbortSignal;
  readonly options: Record<string, unknown>;
  readonly statusCodes: Record<number, boolean | string>;
}

function dial(docker: Docker, options: DialOptions): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      { ...options, options: { ...options.options } },
      (error: unknown, stream: unknown) => {
        if (error) reject(error instanceof Error ? error : new ExternalError(String(error)));
        else if (isReadable(stream)) resolve(stream);
        else reject(new ExternalError("the Docker engine answered the build without a stream"));
      },
    );
  });
}

function isReadable(value: unknown): value is NodeJS.ReadableStream {
  return typeof value === "object" && value !== null && "pipe" in value && "on" in value;
}

/**
 * Short Engine API calls (an inspect) get a deadline of their own, and the build's signal: an
 * engine that accepts the connection and never answers must not hold the build.
 */
export const ENGINE_CALL_TIMEOUT_MS = 30_000;

function engineCallSignal(signal: AbortSignal | undefined): AbortSignal {
  const deadline = AbortSignal.timeout(ENGINE_CALL_TIMEOUT_MS);
  return signal === undefined ? deadline : AbortSignal.any([signal, deadline]);
}

/** GET /images/{name}/json with a deadline (dockerode's inspect takes no signal). */
function inspectImage(
  docker: Docker,
  reference: string,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: `/images/${reference}/json`,
        method: "GET",
        options: {},
        abortSignal: engineCallSignal(signal),
        statusCodes: { 200: true, 404: "no such image", 500: "server error" },
      },
      (error: unknown, data: unknown) => {
        if (error) reject(error instanceof Error ? error : new ExternalError(String(error)));
        else resolve(data);
      },
    );
  });
}

async function untag(docker: Docker, tag: string): Promise<void> {
  try {
    await docker.getImage(tag).remove({ noprune: true });
  } catch {
    // Missing (the first build failed) is fine; anything else leaves only a local tag behind.
  }
}

/** What the engine answers to an image inspect: only the fields the cache check reads. */
const InspectedImage = z.object({
  Id: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  Config: z.object({ Labels: z.record(z.string(), z.string()).nullish() }).nullish(),
});

function statusCodeOf(error: unknown): unknown {
  return typeof error === "object" && error !== null && "statusCode" in error
    ? error.statusCode
    : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
