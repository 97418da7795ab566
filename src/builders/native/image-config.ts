/**
 * The image config and manifest of a native build, as bytes: the base image's config with
 * envforge's layers, variables, labels and user added, and an OCI manifest that lists the base's
 * layer blobs by reference and envforge's after them. Pure: the same inputs give the same bytes
 * (objects are written in a fixed key order, never from a map whose order is not controlled).
 */
import * as z from "zod";
import { ExternalError } from "../../errors/index.js";
import type { RecipeImageConfig } from "../../recipe/recipe.js";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
export const OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
const DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
const DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

const DescriptorShape = z.object({
  mediaType: z.string(),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});

const ImageManifestShape = z.looseObject({
  schemaVersion: z.literal(2),
  config: DescriptorShape,
  layers: z.array(DescriptorShape),
});

const IndexShape = z.looseObject({
  schemaVersion: z.literal(2),
  manifests: z.array(
    DescriptorShape.extend({
      platform: z
        .looseObject({ os: z.string(), architecture: z.string(), variant: z.string().optional() })
        .optional(),
    }),
  ),
});

/** The base's config: only what envforge reads is checked, the rest is carried over as is. */
const BaseConfigShape = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
  config: z
    .looseObject({
      Env: z.array(z.string()).nullish(),
      Labels: z.record(z.string(), z.string()).nullish(),
      User: z.string().nullish(),
      WorkingDir: z.string().nullish(),
      Cmd: z.array(z.string()).nullish(),
      Entrypoint: z.array(z.string()).nullish(),
      ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
      Volumes: z.record(z.string(), z.unknown()).nullish(),
      StopSignal: z.string().nullish(),
    })
    .nullish(),
  rootfs: z.object({ type: z.literal("layers"), diff_ids: z.array(z.string()) }),
  history: z.array(z.record(z.string(), z.unknown())).optional(),
});
export type BaseConfig = z.infer<typeof BaseConfigShape>;

export interface BaseManifest {
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

export function parseBaseManifest(bytes: Uint8Array, where: string): BaseManifest {
  const parsed = ImageManifestShape.safeParse(parseJson(bytes, where));
  if (!parsed.success) throw new ExternalError(`${where}: not an image manifest with layers`);
  return {
    config: parsed.data.config,
    layers: parsed.data.layers.map((layer) => ({
      ...layer,
      mediaType: ociLayerType(layer.mediaType, where),
    })),
  };
}

/** The digest of the index's manifest for `linux/<arch>[/<variant>]`. */
export function platformManifest(bytes: Uint8Array, dockerPlatform: string, where: string): string {
  const parsed = IndexShape.safeParse(parseJson(bytes, where));
  if (!parsed.success) throw new ExternalError(`${where}: not an image index`);
  const [os, architecture, variant] = dockerPlatform.split("/");
  const found = parsed.data.manifests.find(
    (m) =>
      m.platform?.os === os &&
      m.platform?.architecture === architecture &&
      (variant === undefined || m.platform?.variant === variant),
  );
  if (found === undefined) {
    throw new ExternalError(`${where}: the index has no image for ${dockerPlatform}`);
  }
  return found.digest;
}

export function parseBaseConfig(bytes: Uint8Array, where: string): BaseConfig {
  const parsed = BaseConfigShape.safeParse(parseJson(bytes, where));
  if (!parsed.success)
    throw new ExternalError(`${where}: not an image config with rootfs diff_ids`);
  return parsed.data;
}

export interface ImageConfigOptions {
  readonly base: BaseConfig;
  readonly recipe: RecipeImageConfig;
  /** Diff ids and history comments of envforge's layers, in order. */
  readonly layers: readonly { readonly diffId: string; readonly comment: string }[];
  readonly sourceDateEpoch: number;
}

/** The config JSON of the image (the blob the manifest's config names). */
export function imageConfigBytes(options: ImageConfigOptions): Uint8Array {
  const { base, recipe } = options;
  const created = new Date(options.sourceDateEpoch * 1000).toISOString().replace(".000Z", "Z");
  const from = base.config ?? {};
  let env = [...(from.Env ?? [])];
  for (const [name, value] of recipe.env) env = setVariable(env, name, value);
  const labels: Record<string, string> = {};
  const merged = { ...from.Labels, ...recipe.labels };
  for (const key of Object.keys(merged).sort()) labels[key] = merged[key] ?? "";
  const user = recipe.user ?? from.User ?? "";
  const config = {
    ...(user === "" ? {} : { User: user }),
    ...(from.ExposedPorts ? { ExposedPorts: from.ExposedPorts } : {}),
    Env: env,
    ...(from.Entrypoint ? { Entrypoint: from.Entrypoint } : {}),
    ...(from.Cmd ? { Cmd: from.Cmd } : {}),
    ...(from.Volumes ? { Volumes: from.Volumes } : {}),
    ...(from.WorkingDir ? { WorkingDir: from.WorkingDir } : {}),
    Labels: labels,
    ...(from.StopSignal ? { StopSignal: from.StopSignal } : {}),
  };
  const document = {
    created,
    architecture: base.architecture,
    ...(base.variant === undefined ? {} : { variant: base.variant }),
    os: base.os,
    config,
    rootfs: {
      type: "layers",
      diff_ids: [...base.rootfs.diff_ids, ...options.layers.map((layer) => layer.diffId)],
    },
    history: [
      ...(base.history ?? []),
      ...options.layers.map((layer) => ({
        created,
        created_by: "envforge native builder",
        comment: layer.comment,
      })),
    ],
  };
  return new TextEncoder().encode(JSON.stringify(document));
}

/** The OCI image manifest JSON. */
export function imageManifestBytes(config: Descriptor, layers: readonly Descriptor[]): Uint8Array {
  const document = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: descriptor(config),
    layers: layers.map(descriptor),
  };
  return new TextEncoder().encode(JSON.stringify(document));
}

/** One platform's image in an index: its manifest and its Docker platform (`linux/arm64`). */
export interface IndexEntry {
  readonly manifest: Descriptor;
  readonly dockerPlatform: string;
}

/** The OCI image index JSON of a build for several platforms, manifests in the given order. */
export function imageIndexBytes(entries: readonly IndexEntry[]): Uint8Array {
  const document = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: entries.map(({ manifest, dockerPlatform }) => {
      const [os = "", architecture = "", variant] = dockerPlatform.split("/");
      return {
        ...descriptor(manifest),
        platform: { architecture, os, ...(variant === undefined ? {} : { variant }) },
      };
    }),
  };
  return new TextEncoder().encode(JSON.stringify(document));
}

/** Whether a base config is for `linux/<arch>[/<variant>]` (a base that is not an index). */
export function configIsFor(config: BaseConfig, dockerPlatform: string): boolean {
  const [os, architecture, variant] = dockerPlatform.split("/");
  return (
    config.os === os &&
    config.architecture === architecture &&
    (variant === undefined || config.variant === variant)
  );
}

function descriptor(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

/** The PATH BuildKit and the engine give a Linux image whose config sets none. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * `ENV name=value` as Docker applies it: `$PATH`/`${PATH}` stand for the value before, an
 * existing variable is replaced in place, a new one is appended.
 */
export function setVariable(env: readonly string[], name: string, value: string): string[] {
  const before =
    env.find((line) => line.startsWith(`${name}=`))?.slice(name.length + 1) ??
    (name === "PATH" ? DEFAULT_PATH : "");
  const expanded = value.replace(/\$\{PATH\}|\$PATH\b/g, () =>
    name === "PATH" ? before : "$PATH",
  );
  const line = `${name}=${name === "PATH" ? expanded : value}`;
  const at = env.findIndex((entry) => entry.startsWith(`${name}=`));
  if (at === -1) return [...env, line];
  return env.map((entry, i) => (i === at ? line : entry));
}

/** Docker's layer types as their OCI equivalents (same bytes), so the manifest is all OCI. */
function ociLayerType(mediaType: string, where: string): string {
  if (mediaType === OCI_LAYER_GZIP || mediaType === DOCKER_LAYER_GZIP) return OCI_LAYER_GZIP;
  if (mediaType === OCI_LAYER_TAR || mediaType === DOCKER_LAYER_TAR) return OCI_LAYER_TAR;
  throw new ExternalError(
    `${where}: a base layer of type ${mediaType} (allowed: gzip or plain tar layers, OCI or Docker)`,
  );
}

function parseJson(bytes: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ExternalError(`${where}: not JSON`);
  }
}
