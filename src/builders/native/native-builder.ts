/**
 * The native adapter of the ImageBuilder port: envforge assembles the OCI image itself, with no
 * daemon. The base image's manifest and config are read from its registry by digest (its layers
 * are never downloaded for a push: they are mounted or already there); the conda groups and pip
 * layers of the recipe become layers with reproducible bytes (layer-tar.ts); the config and
 * manifest are written by image-config.ts. The push HEADs every blob first, mounts base layers
 * across repositories of the same registry, streams the rest from disk and puts the manifest
 * last. With no registry the image is loaded into the local Docker engine (`docker load`).
 *
 * A lock of several platforms (`envforge lock --platform linux-64 --platform linux-aarch64`)
 * gives one image per platform, each on its base's manifest for that platform, and an OCI image
 * index over them, pushed last under the tag (platform-groups.ts says which layers they share).
 *
 * Same lock, same base digest, same SOURCE_DATE_EPOCH ⇒ same manifest digest, on any machine.
 */
import { fetchStageLine, installProgress, seconds } from "../install-progress.js";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import pLimit from "p-limit";
import type { PackageCache } from "../../conda/package-cache.js";
import { IMAGE_CONDA_PREFIX, IMAGE_HASH_LABEL } from "../../definition/image-hash.js";
import { parseImageReference } from "../../definition/image-reference.js";
import type { ImageReference } from "../../definition/definition.js";
import {
  EnvforgeError,
  ExternalError,
  InternalError,
  ValidationError,
} from "../../errors/index.js";
import type { Problem } from "../../errors/index.js";
import type { BlobUploadResult, Registry, UploadBlobOptions } from "../../image/index.js";
import { buildTarget } from "../build-target.js";
import { fileStream } from "../file-stream.js";
import { dockerPlatformOf } from "../../recipe/index.js";
import type { PackageGroup, Recipe } from "../../recipe/index.js";
import { BuildFailedError } from "../image-builder.js";
import type { BuildLogLine, BuildOutcome, BuildRequest, ImageBuilder } from "../image-builder.js";
import {
  configIsFor,
  imageConfigBytes,
  imageIndexBytes,
  imageManifestBytes,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER_GZIP,
  OCI_MANIFEST,
  parseBaseConfig,
  parseBaseManifest,
  platformManifest,
} from "./image-config.js";
import type { BaseManifest, Descriptor } from "./image-config.js";
import type { BuiltImage, LocalBlob } from "./image-outputs.js";
import { nativeBuildProblems } from "./native-support.js";
import { lockPlatforms, platformGroups } from "./platform-groups.js";
import { cycloneDxSbom, CYCLONEDX_MEDIA_TYPE } from "./sbom.js";
import { fileBlobHomes } from "./blob-homes.js";
import type { BlobHomes } from "./blob-homes.js";
import { LayerCache } from "./layer-cache.js";
import type { LayerRecord } from "./layer-cache.js";
import { condaLayerKey, pipLayerKey } from "./layer-keys.js";
import { writeLayer } from "./layer-tar.js";
import type { LayerSource } from "./layer-tar.js";

/** Loads a `docker load` archive into the local engine; returns nothing, the id is the config's. */
export type LoadImage = (archive: Readable, signal: AbortSignal | undefined) => Promise<void>;
/** The local engine's image id for a tag with the image-hash label, or undefined. */
export type InspectLocal = (
  reference: string,
  signal: AbortSignal | undefined,
) => Promise<{ readonly id: string; readonly imageHash?: string } | undefined>;

export interface NativeOutputs {
  /** `oci:DIR`: an OCI image-layout folder. */
  readonly ociLayout?: string;
  /** `docker-archive:FILE`: a `docker load` tarball. */
  readonly dockerArchive?: string;
}

export interface NativeBuilderOptions {
  /** Reads the base image and pushes the result (auth as for every registry call). */
  readonly registry: Registry;
  readonly packageCache: PackageCache;
  /** Parent of each build's temporary folder; default the OS temp folder. */
  readonly workDir?: string;
  /** Time of every file and of the config (SOURCE_DATE_EPOCH); default 0. */
  readonly sourceDateEpoch?: number;
  /** Tag pushed; default `latest`. */
  readonly tag?: string;
  /** With no registry: the local engine (the image is loaded so `run` works). */
  readonly localEngine?: { readonly load: LoadImage; readonly inspect: InspectLocal };
  /** Extra outputs of every build (the CLI's --output). */
  readonly outputs?: NativeOutputs;
  /** Where layers were pushed before (for mounts); default `<package cache>/../pushed-blobs`. */
  readonly blobHomes?: BlobHomes;
  /** Monotonic milliseconds; default performance.now. */
  readonly clock?: () => number;
  /**
   * Layers by the digest of their inputs, with their blobs (layer-cache.ts); default
   * `<package cache>/../layers`, bounded to DEFAULT_LAYER_CACHE_BYTES. `false`: none, every
   * layer is written.
   */
  readonly layerCache?: LayerCache | false;
}

const PARALLEL_UPLOADS = 4;
/** Below this size a blob is sent beside the large ones (BlobSender's #smallLimit). */
const SMALL_BLOB = 1024 * 1024;
/** Layers compressed at once (zlib's work runs on libuv's pool of four threads). */
const LAYER_WRITERS = 2;
/**
 * A pushed image's new layers are sent from memory, not read back from disk, up to
 * KEPT_LAYER_MAX bytes each and KEPT_LAYER_BYTES per image (each platform's, for an index; a
 * build holds them until it ends):
 * reading a just-written 4 MiB blob again cost the build 4 MiB of fresh buffers and their
 * garbage collection.
 */
const KEPT_LAYER_MAX = 16 * 1024 * 1024;
const KEPT_LAYER_BYTES = 64 * 1024 * 1024;
const OCI_EMPTY = "application/vnd.oci.empty.v1+json";

export class NativeBuilder implements ImageBuilder {
  readonly #options: NativeBuilderOptions;
  #cache: LayerCache | undefined;

  constructor(options: NativeBuilderOptions) {
    this.#options = options;
  }

  async build(request: BuildRequest): Promise<BuildOutcome> {
    const clock = this.#options.clock ?? (() => performance.now());
    const started = clock();
    const log = (text: string): void => request.onLog?.({ stream: "envforge", text });
    const { recipe, registry, repository } = buildTarget(request);
    const problems = nativeBuildProblems(request.definition, request.lock, recipe);
    if (problems.length > 0) throw new ValidationError(problems);
    const tag = this.#options.tag ?? "latest";
    const outputs = this.#options.outputs ?? {};
    const extraOutputs = outputs.ociLayout !== undefined || outputs.dockerArchive !== undefined;
    const platforms = lockPlatforms(request.lock);
    if (platforms.length > 1) {
      // The index goes to a registry: the local engine keeps one platform's image, and the
      // outputs hold one image each.
      const refused = severalPlatformsProblems(platforms, registry, extraOutputs);
      if (refused.length > 0) throw new ValidationError(refused);
    }
    log(`native builder: image ${repository}:${tag}`);

    if (!extraOutputs) {
      const existing = await this.#existing(repository, tag, recipe.imageHash, registry, request);
      if (existing !== undefined) {
        log(`cache hit: ${repository}@${existing}`);
        return {
          imageName: repository,
          digest: existing,
          cacheHit: true,
          pushedBlobs: 0,
          durationMs: clock() - started,
        };
      }
    }

    const workDir = await mkdtemp(join(this.#options.workDir ?? tmpdir(), "envforge-native-"));
    // Where a known layer's blob is looked for before it is written: only when the blobs go to
    // a registry and nowhere else (the outputs and the local engine need every layer's bytes).
    const pushTo =
      registry !== undefined && !extraOutputs
        ? { pushTo: repoOf(parseImageReference(repository)) }
        : {};
    // A push to a registry only: each blob is sent as soon as it is ready (BlobSender), while the
    // other layers are still being written.
    const sender =
      registry !== undefined && !extraOutputs && platforms.length <= 1
        ? new BlobSender(this.#options.registry, repository, this.#homes(), request)
        : undefined;
    try {
      if (platforms.length > 1 && request.lock !== undefined) {
        const images: NativeImage[] = [];
        for (const platform of platforms) {
          log(`platform ${platform} (${dockerPlatformOf(platform)})`);
          images.push(
            await this.#assemble(request, recipe, {
              platform,
              groups: platformGroups(request.lock, platform),
              workDir: join(workDir, platform),
              strictBase: true,
              log,
              ...pushTo,
            }),
          );
        }
        const pushed = await this.#pushIndex(images, repository, tag, request, log);
        return done(repository, pushed.digest, pushed.blobs, clock() - started);
      }
      const image = await this.#assemble(request, recipe, {
        platform: request.definition.platform,
        groups: recipe.packageGroups,
        workDir,
        strictBase: false,
        log,
        ...pushTo,
        ...(sender === undefined ? {} : { early: sender }),
      });
      const { config, manifestDigest } = image;

      if (extraOutputs) await this.#writeOutputs(image, `${repository}:${tag}`, workDir, request);
      if (registry === undefined) {
        if (this.#options.localEngine === undefined) {
          if (extraOutputs) {
            return done(repository, config.digest, 0, clock() - started);
          }
          throw new ValidationError([
            {
              key: "ENVFORGE_REGISTRY",
              message:
                "the native builder has no local engine to keep the image in; set a registry or an output",
              found: "no registry",
              allowed: "a registry such as 127.0.0.1:5000/envforge, or --output oci:DIR",
            },
          ]);
        }
        await this.#load(image, `${repository}:${tag}`, workDir, request);
        log(
          `loaded ${repository}:${tag} (${config.digest}) into the local engine; no registry, no push`,
        );
        return done(repository, config.digest, 0, clock() - started);
      }
      const pushed = await this.#push(image, repository, tag, request, log, sender);
      return done(repository, manifestDigest, pushed, clock() - started);
    } catch (error) {
      request.signal?.throwIfAborted();
      if (error instanceof EnvforgeError) throw error;
      throw new BuildFailedError(`native build failed: ${messageOf(error)}`, {
        lastLines: [],
        cause: error,
      });
    } finally {
      // A failed build's uploads still under way read files of the work folder.
      await sender?.idle();
      await rm(workDir, { recursive: true, force: true });
      // The bound is kept after the build: its blobs were used just now, so none of them goes.
      await this.#layerCache()
        ?.trim()
        .catch(() => undefined);
    }
  }

  /**
   * One platform's image: base read by reference, layers written (or taken from the layer cache
   * when their key is known), config and manifest.
   */
  async #assemble(
    request: BuildRequest,
    recipe: Recipe,
    target: PlatformTarget & { readonly strictBase: boolean; readonly early?: BlobSender },
  ): Promise<NativeImage> {
    const { platform, workDir, log, early } = target;
    const dockerPlatform = dockerPlatformOf(platform);
    // The base is read while the packages are linked; its layers are sent (mounted) at once.
    const basePromise = this.#base(recipe, dockerPlatform, target.strictBase, request.signal).then(
      (found) => {
        early?.base(found);
        return found;
      },
    );
    basePromise.catch(() => undefined);
    const epoch = this.#options.sourceDateEpoch ?? 0;
    const cache = this.#layerCache();
    const { layers: planned, condaLicenses } = await this.#trees(
      request,
      recipe,
      target,
      (key, comment) =>
        cache === undefined ? Promise.resolve(undefined) : this.#reuse(cache, key, comment, target),
    );
    // The SBOM names the licenses the linking step read; its blobs go beside the layers.
    if (early !== undefined) {
      const to = repoOf(parseImageReference(early.repository));
      early.sbomBlobs(() => this.#sendSbomBlobs(platform, to, request, condaLicenses));
      for (const layer of planned) {
        if (layer.reused !== undefined) {
          early.layer({ mediaType: OCI_LAYER_GZIP, ...layer.reused, comment: layer.comment });
        }
      }
    }
    await mkdir(join(workDir, "blobs"), { recursive: true });
    // Layers are written LAYER_WRITERS at a time: gzip runs on the thread pool while the next
    // layer's tar is read, and each layer's bytes are its own (the same whatever the order).
    const writers = pLimit(LAYER_WRITERS);
    // Bytes of this image's new layers that may still be held in memory for their upload.
    let memoryLeft = target.pushTo === undefined ? 0 : KEPT_LAYER_BYTES;
    const write = async (layer: PlannedLayer, index: number): Promise<OurLayer> => {
      request.signal?.throwIfAborted();
      if (layer.source === undefined) {
        throw new InternalError(`layer ${layer.comment} has no files`);
      }
      const keepInMemory = Math.min(memoryLeft, KEPT_LAYER_MAX);
      memoryLeft -= keepInMemory;
      const blob =
        cache === undefined
          ? await writeLayer({
              ...layer.source,
              sourceDateEpoch: epoch,
              destination: join(workDir, "blobs", `layer-${index}.tar.gz`),
              keepInMemory,
            })
          : await cache.write(layer.key, layer.source, epoch, { keepInMemory });
      memoryLeft += keepInMemory - (blob.bytes === undefined ? 0 : blob.size);
      const written: OurLayer = {
        mediaType: OCI_LAYER_GZIP,
        digest: blob.digest,
        size: blob.size,
        path: blob.path,
        diffId: blob.diffId,
        comment: layer.comment,
        inRegistry: false,
        ...(blob.bytes === undefined ? {} : { bytes: blob.bytes }),
      };
      early?.layer(written);
      return written;
    };
    // The largest first: its gzip is the longest, and the small ones fit in beside it.
    const order = planned
      .map((layer, index) => ({ index, weight: layer.weight ?? 0 }))
      .sort((a, b) => b.weight - a.weight);
    const writing = new Map<number, Promise<OurLayer>>();
    for (const { index } of order) {
      const layer = planned[index];
      if (layer !== undefined && layer.reused === undefined) {
        writing.set(
          index,
          writers(() => write(layer, index)),
        );
      }
    }
    const layers = await Promise.all(
      planned.map((layer, index): OurLayer | Promise<OurLayer> => {
        if (layer.reused !== undefined) {
          return { mediaType: OCI_LAYER_GZIP, ...layer.reused, comment: layer.comment };
        }
        const pending = writing.get(index);
        if (pending === undefined) throw new InternalError(`layer ${layer.comment} not written`);
        return pending;
      }),
    );
    let written = 0;
    for (const [index, layer] of layers.entries()) {
      const reused = planned[index]?.reused;
      const how =
        reused === undefined
          ? "written"
          : reused.inRegistry
            ? "in the registry already, not written"
            : "from the layer cache";
      if (reused === undefined) written += 1;
      log(`layer ${layer.comment}: ${layer.digest} (${layer.size} bytes), ${how}`);
    }
    log(`layers: ${written} written, ${layers.length - written} from the layer cache`);
    const base = await basePromise;
    log(`base ${base.reference}: ${base.manifest.layers.length} layers, read by reference`);
    const configBytes = imageConfigBytes({
      base: base.config,
      recipe: recipe.imageConfig,
      layers,
      sourceDateEpoch: epoch,
    });
    const configPath = join(workDir, "blobs", "config.json");
    await writeFile(configPath, configBytes);
    const config: LocalBlob = {
      mediaType: OCI_CONFIG,
      digest: sha256(configBytes),
      size: configBytes.length,
      path: configPath,
    };
    early?.config(config);
    const manifest = imageManifestBytes(config, [...base.manifest.layers, ...layers]);
    const manifestDigest = sha256(manifest);
    log(`manifest ${manifestDigest}`);
    return {
      manifest,
      manifestDigest,
      config,
      ours: layers,
      base,
      platform,
      dockerPlatform,
      condaLicenses,
    };
  }

  async #existing(
    repository: string,
    tag: string,
    imageHash: string,
    registry: string | undefined,
    request: BuildRequest,
  ): Promise<string | undefined> {
    const signal = request.signal;
    if (registry !== undefined) {
      // One HEAD: the manifest digest the registry serves for the tag is the image's.
      const status = await this.#options.registry.manifestExists(
        `${repository}:${tag}`,
        signal === undefined ? {} : { signal },
      );
      return status.exists ? status.digest : undefined;
    }
    const found = await this.#options.localEngine?.inspect(`${repository}:${tag}`, signal);
    return found !== undefined && found.imageHash === imageHash ? found.id : undefined;
  }

  /**
   * The base's manifest for the platform (picked from its index by digest) and its config. With
   * `strict` (a build for several platforms) a base that is one image must be for the platform.
   */
  async #base(
    recipe: Recipe,
    dockerPlatform: string,
    strict: boolean,
    signal: AbortSignal | undefined,
  ): Promise<{
    reference: string;
    repository: ImageReference;
    manifest: BaseManifest;
    config: ReturnType<typeof parseBaseConfig>;
  }> {
    const from = recipe.baseImage;
    if (from === undefined) throw new ExternalError("the native builder needs an image base");
    const reference = parseImageReference(from);
    const options = signal === undefined ? {} : { signal };
    const { registry } = this.#options;
    let answer = await registry.getManifest(reference, options);
    if (answer.configDigest === undefined) {
      const digest = platformManifest(answer.bytes, dockerPlatform, `base image ${from}`);
      answer = await registry.getManifest({ ...reference, tag: undefined, digest }, options);
    }
    const manifest = parseBaseManifest(answer.bytes, `base image ${from}`);
    const repository: ImageReference = { ...reference, tag: undefined, digest: undefined };
    const config = parseBaseConfig(
      await registry.getBlob(repository, manifest.config.digest, options),
      `config of base image ${from}`,
    );
    if (strict && !configIsFor(config, dockerPlatform)) {
      const has = [config.os, config.architecture, config.variant].filter(Boolean).join("/");
      throw new ExternalError(
        `base image ${from} is one image for ${has}, and the lock asks for ${dockerPlatform} too: name a base whose image index holds every platform of the lock`,
      );
    }
    return { reference: from, repository, manifest, config };
  }

  /**
   * The layers' trees in image order (conda groups, then pip layers), each with its layer-cache
   * key. A pip layer `reuse` finds is not installed at all; conda groups are linked together
   * (a group's files can depend on the others': python's version, clobbers) and then looked up.
   */
  async #trees(
    request: BuildRequest,
    recipe: Recipe,
    target: PlatformTarget,
    reuse: (key: string, comment: string) => Promise<ReusedLayer | undefined>,
  ): Promise<{ readonly layers: PlannedLayer[]; readonly condaLicenses: Licenses }> {
    const { platform, groups, workDir, log } = target;
    const epoch = this.#options.sourceDateEpoch ?? 0;
    const limit = pLimit(PARALLEL_UPLOADS);
    const planned: PlannedLayer[] = [];
    let condaLicenses: Licenses = new Map();
    if (groups.length > 0 && request.lock !== undefined) {
      const [{ IMAGE_HISTORY }, { groupEntries }] = await Promise.all([
        import("../prefix-groups.js"),
        import("./prefix-entries.js"),
      ]);
      // No prefix on disk: each group's files are described from the package cache and read
      // from there into its layer.
      const linked = await groupEntries({
        lock: request.lock,
        platform,
        groups,
        cache: this.#options.packageCache,
        prefix: IMAGE_CONDA_PREFIX.slice(1),
        history: IMAGE_HISTORY,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
        ...(request.onProgress === undefined
          ? {}
          : {
              onEvent: installProgress(
                request.lock.platforms.find((p) => p.platform === platform)?.conda ?? [],
                request.onProgress,
              ),
            }),
      });
      condaLicenses = linked.licenses;
      for (const warning of linked.install.warnings) log(`conda: ${warning}`);
      log(fetchStageLine(linked.install));
      log(
        `conda: linked ${linked.install.packages.length} packages into ${groups.length} layers in ${seconds(linked.install.timings.linkMs)} s`,
      );
      const python = request.lock.platforms
        .find((p) => p.platform === platform)
        ?.conda.find((p) => p.name === "python");
      const condaLayers = groups.flatMap((group, index) => {
        const entries = linked.entries.get(group.name);
        if (entries === undefined) return [];
        const key = condaLayerKey({
          packages: group.packages,
          prefix: IMAGE_CONDA_PREFIX,
          sourceDateEpoch: epoch,
          python,
          clobbers: linked.install.clobbers,
          // The image's history is in the first group.
          history: index === 0 ? IMAGE_HISTORY : undefined,
        });
        const weight = group.packages.reduce((sum, pkg) => sum + (pkg.size ?? 0), 0);
        return [{ key, source: { entries }, comment: `conda ${group.name}`, weight }];
      });
      const reused = await Promise.all(
        condaLayers.map((layer) => limit(() => reuse(layer.key, layer.comment))),
      );
      condaLayers.forEach((layer, i) => planned.push(withReused(layer, reused[i])));
    }
    if (recipe.pipLayers.length > 0 && recipe.pipScheme !== undefined) {
      const scheme = recipe.pipScheme;
      const { INSTALLED_FORMAT, installPipLayers } = await import("../pip-layers-install.js");
      const pipLayers = recipe.pipLayers.map((layer) => ({
        layer,
        comment: `pip ${layer.name}`,
        key: pipLayerKey({
          packages: layer.packages,
          scheme,
          installedFormat: INSTALLED_FORMAT,
          sourceDateEpoch: epoch,
        }),
      }));
      const reused = await Promise.all(
        pipLayers.map((layer) => limit(() => reuse(layer.key, layer.comment))),
      );
      const missing = pipLayers.filter((_, i) => reused[i] === undefined).map((p) => p.layer);
      const installed =
        missing.length === 0
          ? { folders: new Map<string, string>(), wheels: [] }
          : await installPipLayers({
              definition: request.definition,
              layers: missing,
              scheme,
              cacheDir: this.#options.packageCache.dir,
              workDir: join(workDir, "pip-trees"),
              ...(request.signal === undefined ? {} : { signal: request.signal }),
            });
      const known = recipe.pipLayers.length - missing.length;
      log(
        `pip: installed ${installed.wheels.length} wheels into ${missing.length} layers${known === 0 ? "" : `; ${known} layers from the layer cache`}`,
      );
      pipLayers.forEach(({ layer, key, comment }, i) => {
        const dir = installed.folders.get(layer.name);
        const found = reused[i];
        if (found !== undefined) planned.push({ key, comment, reused: found });
        else if (dir !== undefined) {
          planned.push({ key, comment, source: { trees: [{ dir, at: "" }] } });
        }
      });
    }
    return { layers: planned, condaLicenses };
  }

  /**
   * A layer the cache knows by `key`: in the registry already (one HEAD, when this build pushes
   * and has no other output), or its cached blob read back with the right sha256. Undefined when
   * it must be written: unknown key, blob gone, or blob damaged (said in the log).
   */
  async #reuse(
    cache: LayerCache,
    key: string,
    comment: string,
    target: PlatformTarget,
  ): Promise<ReusedLayer | undefined> {
    const record = await cache.get(key);
    if (record === undefined) return undefined;
    if (target.pushTo !== undefined) {
      const there = await this.#options.registry.blobExists(target.pushTo, record.digest);
      if (there) return { ...record, path: cache.blobPath(record.digest), inRegistry: true };
    }
    const blob = await cache.verifiedBlob(key, record);
    if ("path" in blob) return { ...record, path: blob.path, inRegistry: false };
    if ("damaged" in blob) {
      target.log(
        `layer ${comment}: the layer cache's blob ${record.digest} is damaged (its bytes are ${blob.damaged}); writing the layer again`,
      );
    }
    return undefined;
  }

  /** The layer cache; undefined when the builder was made without one. */
  #layerCache(): LayerCache | undefined {
    const option = this.#options.layerCache;
    if (option === false) return undefined;
    return (this.#cache ??=
      option ?? new LayerCache({ dir: join(dirname(this.#options.packageCache.dir), "layers") }));
  }

  /**
   * The SBOM as an OCI artifact whose subject is the image, part one: its document's blob and
   * the empty config, sent (they do not name the image, so they go beside its blobs). Part two,
   * #attachSbom, puts the artifact manifest by digest and the referrers tag (the spec's fallback,
   * which every registry serves; one that answers the referrers API lists the artifact there too,
   * by its subject).
   */
  async #sendSbomBlobs(
    platform: string,
    to: { readonly registry?: string; readonly repository: string },
    request: BuildRequest,
    condaLicenses: Licenses,
  ): Promise<SbomBlobs> {
    const { registry } = this.#options;
    const lock = request.lock;
    const imageHash = /envforge_[0-9a-f]{32}$/.exec(to.repository)?.[0] ?? to.repository;
    const sbom = cycloneDxSbom({
      lock: lock ?? {
        version: 1,
        definitionHash: request.definitionHash,
        channels: [],
        platforms: [],
      },
      platform,
      imageHash,
      imageName: `${to.registry ?? ""}/${to.repository}`,
      sourceDateEpoch: this.#options.sourceDateEpoch ?? 0,
      condaLicenses,
    });
    const sbomDigest = sha256(sbom);
    const empty = new TextEncoder().encode("{}");
    // The same two bytes in every repository: mounted from where they were put before.
    const emptyDigest = sha256(empty);
    const sendEmpty = async (): Promise<void> => {
      const home = await this.#homes().get(emptyDigest);
      const mountFrom = mountSource(home, to.registry, to.repository);
      await registry.uploadBlob(
        to,
        { digest: emptyDigest, size: empty.length, open: () => empty },
        mountFrom === undefined ? {} : { mountFrom },
      );
      await this.#homes().set(emptyDigest, `${to.registry ?? ""}/${to.repository}`);
    };
    await Promise.all([
      registry.uploadBlob(
        to,
        { digest: sbomDigest, size: sbom.length, open: () => sbom },
        // It names the image by its hash and lists its packages: new with the image.
        { likelyNew: true },
      ),
      sendEmpty(),
    ]);
    return { sbom: { digest: sbomDigest, size: sbom.length }, empty: emptyDigest };
  }

  /** The SBOM's artifact manifest (its blobs sent before) and the referrers tag for `subject`. */
  async #attachSbom(
    subject: Descriptor,
    blobs: SbomBlobs,
    to: { readonly registry?: string; readonly repository: string },
  ): Promise<string> {
    const { registry } = this.#options;
    const artifact = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: CYCLONEDX_MEDIA_TYPE,
        config: { mediaType: OCI_EMPTY, digest: blobs.empty, size: 2 },
        layers: [{ mediaType: CYCLONEDX_MEDIA_TYPE, ...blobs.sbom }],
        subject: descriptorOf(subject),
      }),
    );
    const artifactDigest = await registry.putManifest(to, {
      mediaType: OCI_MANIFEST,
      bytes: artifact,
    });
    const index = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          {
            mediaType: OCI_MANIFEST,
            artifactType: CYCLONEDX_MEDIA_TYPE,
            digest: artifactDigest,
            size: artifact.length,
          },
        ],
      }),
    );
    await registry.putManifest(
      { ...to, tag: referrersTag(subject.digest) },
      { mediaType: OCI_INDEX, bytes: index },
    );
    return artifactDigest;
  }

  #homes(): BlobHomes {
    return (
      this.#options.blobHomes ??
      fileBlobHomes(join(dirname(this.#options.packageCache.dir), "pushed-blobs"))
    );
  }

  /** Base layers fetched into the build's folder (for the outputs that hold every blob). */
  async #withBaseBlobs(
    image: NativeImage,
    workDir: string,
    request: BuildRequest,
  ): Promise<BuiltImage> {
    const base: LocalBlob[] = [];
    for (const layer of image.base.manifest.layers) {
      const path = join(workDir, "blobs", `base-${layer.digest.slice("sha256:".length)}`);
      const bytes = await this.#options.registry.getBlob(
        image.base.repository,
        layer.digest,
        request.signal === undefined ? {} : { signal: request.signal },
      );
      await writeFile(path, bytes);
      base.push({ ...layer, path });
    }
    return {
      manifest: image.manifest,
      manifestDigest: image.manifestDigest,
      config: image.config,
      layers: [...base, ...image.ours],
    };
  }

  async #writeOutputs(
    image: NativeImage,
    reference: string,
    workDir: string,
    request: BuildRequest,
  ): Promise<void> {
    const outputs = this.#options.outputs ?? {};
    const full = await this.#withBaseBlobs(image, workDir, request);
    const { writeDockerArchive, writeOciLayout } = await import("./image-outputs.js");
    if (outputs.ociLayout !== undefined) await writeOciLayout(outputs.ociLayout, full, reference);
    if (outputs.dockerArchive !== undefined)
      await writeDockerArchive(outputs.dockerArchive, full, reference);
  }

  async #load(
    image: NativeImage,
    reference: string,
    workDir: string,
    request: BuildRequest,
  ): Promise<void> {
    const full = await this.#withBaseBlobs(image, workDir, request);
    const { dockerArchive } = await import("./image-outputs.js");
    await this.#options.localEngine?.load(dockerArchive(full, reference), request.signal);
  }

  /**
   * The image's blobs (those `early` has not sent yet), its SBOM, then its manifest under the
   * tag, last; the blobs sent (no config). The SBOM's artifact names the image by its manifest's
   * digest, known before the push, so it and the referrers tag are put beside the blobs.
   */
  async #push(
    image: NativeImage,
    repository: string,
    tag: string,
    request: BuildRequest,
    log: (text: string) => void,
    early: BlobSender | undefined,
  ): Promise<number> {
    const clock = this.#options.clock ?? (() => performance.now());
    const pushStarted = clock();
    const target = parseImageReference(repository);
    const to = repoOf(target);
    const sender =
      early ?? new BlobSender(this.#options.registry, repository, this.#homes(), request);
    sender.image(image);
    const subject = {
      mediaType: OCI_MANIFEST,
      digest: image.manifestDigest,
      size: image.manifest.length,
    };
    const [results, sbom] = await Promise.all([
      sender.settled(),
      sender
        .sbomBlobs(() => this.#sendSbomBlobs(image.platform, to, request, image.condaLicenses))
        .then((blobs) => this.#attachSbom(subject, blobs, to)),
    ]);
    // Every blob is in: where they are is recorded while the manifest goes.
    const [digest] = await Promise.all([
      this.#options.registry.putManifest(
        { ...target, tag },
        { mediaType: OCI_MANIFEST, bytes: image.manifest },
      ),
      ...image.ours.map((layer) => this.#homes().set(layer.digest, repository)),
    ]);
    log(`SBOM ${sbom} attached to ${repository}@${digest} (tag ${referrersTag(digest)})`);
    log(pushedLine(`${repository}@${digest}`, results, seconds(clock() - pushStarted)));
    return sentLayers(results, [image]);
  }

  /**
   * A build for several platforms: each platform's blobs and manifest (by digest) one platform
   * after the other, so a blob the platforms share is HEADed as there and never sent twice; then
   * each manifest's SBOM, and the index under the tag last. The index's own SBOM is the
   * definition's platform's, so `envforge sbom` finds it by the image's digest.
   */
  async #pushIndex(
    images: readonly NativeImage[],
    repository: string,
    tag: string,
    request: BuildRequest,
    log: (text: string) => void,
  ): Promise<{ digest: string; blobs: number }> {
    const clock = this.#options.clock ?? (() => performance.now());
    const pushStarted = clock();
    const { registry } = this.#options;
    const target = parseImageReference(repository);
    const results: { blob: Descriptor; result: BlobUploadResult }[] = [];
    for (const image of images) {
      const sender = new BlobSender(registry, repository, this.#homes(), request);
      sender.image(image);
      results.push(...(await sender.settled()));
      await registry.putManifest(
        { ...target, tag: undefined, digest: image.manifestDigest },
        { mediaType: OCI_MANIFEST, bytes: image.manifest },
      );
      await Promise.all(image.ours.map((layer) => this.#homes().set(layer.digest, repository)));
    }
    // One SBOM document per platform, its blobs sent once: the index's is its platform's.
    const sbomBlobs = new Map<string, Promise<SbomBlobs>>();
    const blobsFor = (platform: string): Promise<SbomBlobs> => {
      let blobs = sbomBlobs.get(platform);
      if (blobs === undefined) {
        const licenses = images.find((image) => image.platform === platform)?.condaLicenses;
        blobs = this.#sendSbomBlobs(platform, repoOf(target), request, licenses ?? new Map());
        sbomBlobs.set(platform, blobs);
      }
      return blobs;
    };
    const index = imageIndexBytes(
      images.map((image) => ({
        manifest: {
          mediaType: OCI_MANIFEST,
          digest: image.manifestDigest,
          size: image.manifest.length,
        },
        dockerPlatform: image.dockerPlatform,
      })),
    );
    for (const image of images) {
      const subject = {
        mediaType: OCI_MANIFEST,
        digest: image.manifestDigest,
        size: image.manifest.length,
      };
      await this.#attachSbom(subject, await blobsFor(image.platform), repoOf(target));
    }
    const digest = await registry.putManifest(
      { ...target, tag },
      { mediaType: OCI_INDEX, bytes: index },
    );
    const subject = { mediaType: OCI_INDEX, digest, size: index.length };
    const sbom = await this.#attachSbom(
      subject,
      await blobsFor(request.definition.platform),
      repoOf(target),
    );
    log(`SBOM ${sbom} attached to ${repository}@${digest} (tag ${referrersTag(digest)})`);
    log(
      `index ${repository}@${digest}: ${images.map((i) => `${i.dockerPlatform} ${i.manifestDigest}`).join(", ")}`,
    );
    log(pushedLine(`${repository}@${digest}`, results, seconds(clock() - pushStarted)));
    return { digest, blobs: sentLayers(results, images) };
  }
}

/**
 * One image's blobs sent to its repository, each as soon as it is ready and PARALLEL_UPLOADS at a
 * time: every blob HEADed first (uploadBlob), base layers mounted, ours streamed from disk. A
 * digest is sent once. Failures are kept and thrown by `settled`, which waits for every blob.
 */
class BlobSender {
  readonly repository: string;
  readonly #registry: Registry;
  readonly #homes: BlobHomes;
  readonly #request: BuildRequest;
  readonly #target: ImageReference;
  readonly #to: { readonly registry?: string; readonly repository: string };
  readonly #limit = pLimit(PARALLEL_UPLOADS);
  /**
   * Blobs under SMALL_BLOB (small layers, the config) have slots of their own: queued behind
   * the large layers, a 1 KiB config held the manifest back as long as a 4 MiB upload took.
   */
  readonly #smallLimit = pLimit(PARALLEL_UPLOADS);
  readonly #started = new Set<string>();
  readonly #pending: Promise<void>[] = [];
  readonly #errors: unknown[] = [];
  readonly #results: { blob: Descriptor; result: BlobUploadResult }[] = [];
  #sbom: Promise<SbomBlobs> | undefined;
  #done = 0;
  /** Bytes of the whole image, once it is known: progress is reported from then on. */
  #total: number | undefined;

  constructor(registry: Registry, repository: string, homes: BlobHomes, request: BuildRequest) {
    this.#registry = registry;
    this.repository = repository;
    this.#homes = homes;
    this.#request = request;
    this.#target = parseImageReference(repository);
    this.#to = repoOf(this.#target);
  }

  /** The base's layers: mounted from its repository when it is in the same registry. */
  base(base: { readonly repository: ImageReference; readonly manifest: BaseManifest }): void {
    const from = base.repository;
    const mountFrom =
      from.registry === this.#target.registry && from.repository !== this.#to.repository
        ? from.repository
        : undefined;
    const signal = this.#request.signal;
    for (const layer of base.manifest.layers) {
      this.#start(layer, () =>
        this.#upload(
          layer,
          () => remoteBlob(this.#registry, from, layer.digest, signal),
          mountFrom === undefined ? {} : { mountFrom },
        ),
      );
    }
  }

  /** One of our layers: mounted from where it was pushed before, else streamed from disk. */
  layer(layer: OurLayer): void {
    this.#start(layer, async () => {
      if (layer.inRegistry) {
        // HEADed when its key was found in the layer cache: not asked again.
        this.#record(layer, "exists");
        return;
      }
      const home = await this.#homes.get(layer.digest);
      const mountFrom = mountSource(home, this.#target.registry, this.#to.repository);
      // Written by this build, or HEADed as missing when its key was found: most likely new.
      await this.#upload(
        layer,
        () => (layer.bytes === undefined ? fileChunks(layer) : memoryChunks(layer.bytes)),
        mountFrom === undefined ? { likelyNew: true } : { mountFrom },
      );
    });
  }

  config(config: LocalBlob): void {
    // It names this build's layers: new unless an earlier push of this image failed midway.
    this.#start(config, () => this.#upload(config, () => fileChunks(config), { likelyNew: true }));
  }

  /** Every blob of the image not started yet; progress is reported against its size from now. */
  image(image: NativeImage): void {
    this.base(image.base);
    for (const layer of image.ours) this.layer(layer);
    this.config(image.config);
    this.#total = [...image.base.manifest.layers, ...image.ours, image.config].reduce(
      (sum, blob) => sum + blob.size,
      0,
    );
    this.#progress();
  }

  /** The SBOM's blobs, sent once by `send` (the first call's). */
  sbomBlobs(send: () => Promise<SbomBlobs>): Promise<SbomBlobs> {
    if (this.#sbom === undefined) {
      this.#sbom = send();
      this.#sbom.catch(() => undefined);
    }
    return this.#sbom;
  }

  /** Every blob started, sent; the first failure thrown. */
  async settled(): Promise<{ blob: Descriptor; result: BlobUploadResult }[]> {
    await this.idle();
    const [error] = this.#errors;
    if (error !== undefined) throw error;
    this.#request.signal?.throwIfAborted();
    return this.#results;
  }

  /** Waits for every blob started (and the SBOM's), whatever their outcome. */
  async idle(): Promise<void> {
    await Promise.all(this.#pending);
    await this.#sbom?.catch(() => undefined);
  }

  #start(blob: Descriptor, send: () => Promise<void>): void {
    if (this.#started.has(blob.digest)) return;
    this.#started.add(blob.digest);
    const limit = blob.size < SMALL_BLOB ? this.#smallLimit : this.#limit;
    this.#pending.push(
      limit(async () => {
        this.#request.signal?.throwIfAborted();
        await send();
      }).catch((error: unknown) => {
        this.#errors.push(error);
      }),
    );
  }

  async #upload(
    blob: Descriptor,
    open: () => Uint8Array | AsyncIterable<Uint8Array>,
    options: UploadBlobOptions = {},
  ): Promise<void> {
    const result = await this.#registry.uploadBlob(
      this.#to,
      { digest: blob.digest, size: blob.size, open },
      options,
    );
    this.#record(blob, result);
  }

  #record(blob: Descriptor, result: BlobUploadResult): void {
    this.#results.push({ blob, result });
    this.#done += blob.size;
    this.#progress();
  }

  #progress(): void {
    if (this.#total === undefined) return;
    this.#request.onProgress?.({
      stage: "push",
      done: this.#done,
      total: this.#total,
      unit: "bytes",
    });
  }
}

function repoOf(target: ImageReference): { registry?: string; repository: string } {
  return {
    ...(target.registry === undefined ? {} : { registry: target.registry }),
    repository: target.repository,
  };
}

function pushedLine(
  image: string,
  results: readonly { blob: Descriptor; result: BlobUploadResult }[],
  took: string,
): string {
  const sent = results.filter((r) => r.result === "uploaded");
  const mounted = results.filter((r) => r.result === "mounted").length;
  const bytes = sent.reduce((sum, r) => sum + r.blob.size, 0);
  return `pushed ${image}: ${sent.length} blobs sent (${bytes} bytes), ${mounted} mounted, ${results.length - sent.length - mounted} already there, in ${took} s`;
}

/** Blobs sent other than the images' configs: what a build's `pushedBlobs` counts. */
function sentLayers(
  results: readonly { blob: Descriptor; result: BlobUploadResult }[],
  images: readonly NativeImage[],
): number {
  const configs = new Set(images.map((image) => image.config.digest));
  return results.filter((r) => r.result === "uploaded" && !configs.has(r.blob.digest)).length;
}

/** What a build for several platforms needs besides what nativeBuildProblems checks. */
function severalPlatformsProblems(
  platforms: readonly string[],
  registry: string | undefined,
  extraOutputs: boolean,
): Problem[] {
  const problems: Problem[] = [];
  if (registry === undefined) {
    problems.push({
      key: "ENVFORGE_REGISTRY",
      message: `a lock of several platforms (${platforms.join(", ")}) gives an image index, which goes to a registry; the local engine keeps one platform's image`,
      found: "no registry",
      allowed: "a registry such as 127.0.0.1:5000/envforge, or a lock of one platform",
    });
  }
  if (extraOutputs) {
    problems.push({
      key: "--output",
      message: `the OCI layout and docker archive outputs hold one image, and the lock has several platforms (${platforms.join(", ")})`,
      found: "an output for an image index",
      allowed: "no --output, or a lock of one platform",
    });
  }
  return problems;
}

/** The tag fallback scheme of the OCI distribution spec: `sha256-<hex>` lists the referrers. */
export function referrersTag(digest: string): string {
  return digest.replace(":", "-");
}

interface NativeImage {
  readonly manifest: Uint8Array;
  readonly manifestDigest: string;
  readonly config: LocalBlob;
  readonly ours: readonly OurLayer[];
  readonly base: { readonly repository: ImageReference; readonly manifest: BaseManifest };
  /** The conda subdir (`linux-aarch64`) and Docker platform (`linux/arm64`) it is for. */
  readonly platform: string;
  readonly dockerPlatform: string;
  /** License by conda package file name, as the linking step read them (for the SBOM). */
  readonly condaLicenses: Licenses;
}

/** License by conda package file name. */
type Licenses = ReadonlyMap<string, string>;

/** What one platform's layers are made from. */
interface PlatformTarget {
  readonly platform: string;
  readonly groups: readonly PackageGroup[];
  readonly workDir: string;
  readonly log: (text: string) => void;
  /** The repository the blobs go to, when they go to a registry only. */
  readonly pushTo?: { readonly registry?: string; readonly repository: string };
}

/** One of the image's own layers, with where its bytes are. */
type OurLayer = LocalBlob & {
  readonly diffId: string;
  readonly comment: string;
  /** The registry had it when its key was found: `path` may not exist, nothing is sent. */
  readonly inRegistry: boolean;
  /** Its bytes, when this build wrote it and kept them for the upload (KEPT_LAYER_BYTES). */
  readonly bytes?: readonly Buffer[];
};

/** An SBOM document's blob and the empty config's digest, both in the target repository. */
interface SbomBlobs {
  readonly sbom: { readonly digest: string; readonly size: number };
  readonly empty: string;
}

/** A layer the layer cache had: in the target repository already, or its checked blob. */
type ReusedLayer = LayerRecord & { readonly path: string; readonly inRegistry: boolean };

/** A layer to make: its tree to write, or what the layer cache had. */
interface PlannedLayer {
  readonly key: string;
  readonly comment: string;
  readonly source?: LayerSource;
  readonly reused?: ReusedLayer;
  /** Its packages' archive bytes, where the lock has them: the largest is written first. */
  readonly weight?: number;
}

function withReused(
  layer: {
    readonly key: string;
    readonly comment: string;
    readonly source: LayerSource;
    readonly weight: number;
  },
  reused: ReusedLayer | undefined,
): PlannedLayer {
  return reused === undefined ? layer : { key: layer.key, comment: layer.comment, reused };
}

function descriptorOf(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

/** The image-hash label's key, for the local engine's cache check. */
export const NATIVE_IMAGE_HASH_LABEL = IMAGE_HASH_LABEL;

function done(
  imageName: string,
  digest: string,
  pushedBlobs: number,
  durationMs: number,
): BuildOutcome {
  return { imageName, digest, cacheHit: false, pushedBlobs, durationMs };
}

/** A blob's bytes from disk (file-stream.ts says how it is read). */
async function* fileChunks(blob: LocalBlob): AsyncIterable<Uint8Array> {
  for await (const chunk of fileStream(blob.path, blob.size)) yield chunk as Buffer;
}

/** A blob's bytes held in memory. */
async function* memoryChunks(pieces: readonly Buffer[]): AsyncIterable<Uint8Array> {
  yield* pieces;
}

/** A base layer the target repository lacks and cannot mount: read from where the base is. */
async function* remoteBlob(
  registry: Registry,
  repository: ImageReference,
  digest: string,
  signal: AbortSignal | undefined,
): AsyncIterable<Uint8Array> {
  yield await registry.getBlob(repository, digest, signal === undefined ? {} : { signal });
}

/** The repository to mount from: one of the same registry other than the target. */
function mountSource(
  home: string | undefined,
  registry: string | undefined,
  repository: string,
): string | undefined {
  if (home === undefined || registry === undefined || !home.startsWith(`${registry}/`))
    return undefined;
  const from = home.slice(registry.length + 1);
  return from === repository ? undefined : from;
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export type { BuildLogLine };
