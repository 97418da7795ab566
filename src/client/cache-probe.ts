/**
 * A cache hit without the build machinery (issue 9, point 4). When a build keeps its image in
 * the local Docker engine, the engine is asked once, over its socket with node:http, whether it
 * has the image under its name with this image hash's label. If it has, the build ends as the
 * configured builder ends it on a cache hit: the same log lines and the same outcome, so the
 * build record is the one a full builder leaves. In every other case (no such image, another
 * label, an engine that does not answer plainly, a registry, extra outputs, an endpoint other
 * than a unix socket or plain tcp) the full builder is loaded and decides everything itself,
 * its messages included: the probe then has written nothing.
 */
import { connect } from "node:net";
import type { Socket } from "node:net";
import { nativeCanBuild } from "../builders/native/auto-builder.js";
import type { BuildOutcome, BuildRequest, ImageBuilder } from "../builders/image-builder.js";
import { lockPlatforms } from "../builders/native/platform-groups.js";
import { IMAGE_HASH_LABEL, imageName } from "../definition/image-hash.js";
import type { SurfaceSettings } from "../host/config.js";
import type { DockerEndpoint } from "../jobs/docker-endpoint-rules.js";
import { makeRecipe } from "../recipe/index.js";

/** The tag both builders give an image (their `tag` option is never set by a surface). */
const TAG = "latest";

/** How long the one request may take before the full builder is asked instead. */
const PROBE_TIMEOUT_MS = 5_000;

export interface CacheProbeOptions {
  readonly settings: SurfaceSettings;
  /** The engine the builders would use (readDockerEndpoint over the config's DOCKER_HOST). */
  readonly endpoint: DockerEndpoint;
  /** `--output` was given: the image must be written, a hit is not enough. */
  readonly outputs: boolean;
  /** The configured builder, loaded when the probe cannot end the build itself. */
  readonly full: () => Promise<ImageBuilder>;
}

/** The configured builder, with a one-request cache check in front of it. */
export function probeFirstBuilder(options: CacheProbeOptions): ImageBuilder {
  let loaded: Promise<ImageBuilder> | undefined;
  const full = (): Promise<ImageBuilder> => (loaded ??= options.full());
  return {
    async build(request: BuildRequest): Promise<BuildOutcome> {
      // Date, not the global performance: its first use loads perf_hooks (about 1 ms).
      const started = Date.now();
      const hit = options.outputs ? undefined : await probe(options, request);
      if (hit === undefined) return (await full()).build(request);
      for (const text of hit.lines) request.onLog?.({ stream: "envforge", text });
      return {
        imageName: hit.repository,
        digest: hit.id,
        cacheHit: true,
        pushedBlobs: 0,
        durationMs: Date.now() - started,
      };
    },
  };
}

interface Hit {
  readonly repository: string;
  readonly id: string;
  /** What the configured builder logs on this cache hit, in order. */
  readonly lines: readonly string[];
}

async function probe(options: CacheProbeOptions, request: BuildRequest): Promise<Hit | undefined> {
  const registry = request.registry?.trim();
  if (registry !== undefined && registry !== "") return undefined;
  const builder = options.settings.config.builder;
  if (builder !== "native" && builder !== "docker" && builder !== "auto") return undefined;
  // What the builder would choose (open-image-builder.ts): native, docker, or auto's pick.
  const canNative = builder !== "docker" && nativeCanBuild(request);
  const native = builder === "native" || (builder === "auto" && canNative);
  // A native build refuses what it cannot build, and several platforms without a registry:
  // its own refusal says why.
  if (native && (!canNative || lockPlatforms(request.lock).length > 1)) return undefined;
  const recipe = makeRecipe(request.definition, {
    definitionHash: request.definitionHash,
    ...(request.lock === undefined ? {} : { lock: request.lock }),
    ...(request.labels === undefined ? {} : { labels: request.labels }),
  });
  const repository = imageName({ imageHash: recipe.imageHash });
  const reference = `${repository}:${TAG}`;
  const id = await labelledImage(options.endpoint, reference, recipe.imageHash, request.signal);
  if (id === undefined) return undefined;
  const chosen =
    builder === "auto"
      ? [
          native
            ? "builder: native (the default for what it can build)"
            : "builder: docker (the native builder cannot build this definition)",
        ]
      : [];
  const lines = native
    ? [`native builder: image ${reference}`, `cache hit: ${repository}@${id}`]
    : [
        `image ${reference} (no registry: kept in the local Docker engine)`,
        `cache hit: the local engine has ${reference} (${id})`,
      ];
  return { repository, id, lines: [...chosen, ...lines] };
}

/**
 * The engine's image id for `reference` when it carries `imageHash` as its label; undefined
 * for anything else, errors included (the full builder asks again and reports them).
 */
async function labelledImage(
  endpoint: DockerEndpoint,
  reference: string,
  imageHash: string,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  const transport = endpoint.transport;
  // One connection of its own, no agent: an agent's bookkeeping (its TLS server name check
  // among it) cost more CPU than the request itself.
  const connection =
    transport.kind === "unix"
      ? () => connect(transport.socketPath)
      : transport.kind === "tcp" && transport.tls === undefined
        ? () => connect(transport.port, transport.host)
        : undefined;
  if (connection === undefined) return undefined;
  // The reference is envforge's own name (envforge/envforge_<hash>:latest): no escaping.
  const answer = await getOnce(connection, `/images/${reference}/json`, signal);
  if (answer?.status !== 200) return undefined;
  return imageIdWithLabel(answer.body, imageHash);
}

/** Larger than any image's inspect answer; more is not the engine. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * One GET, as HTTP/1.0 on a connection of its own: the engine sends the whole answer and closes
 * (no chunks, no keep-alive), so reading to the end and cutting off the head is all the parsing
 * there is. node:http's client cost about 2 ms to load and set up for this one request, a
 * tenth of a cache hit. Undefined when the engine does not answer in time or at all.
 */
function getOnce(
  connection: () => Socket,
  path: string,
  signal: AbortSignal | undefined,
): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const socket = connection();
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (): void => {
      socket.destroy();
      resolve(undefined);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, fail);
    signal?.addEventListener("abort", fail, { once: true });
    socket.on("connect", () => socket.write(`GET ${path} HTTP/1.0\r\nHost: docker\r\n\r\n`));
    socket.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) fail();
      else chunks.push(chunk);
    });
    socket.on("error", fail);
    socket.on("end", () => {
      signal?.removeEventListener("abort", fail);
      const text = Buffer.concat(chunks).toString("utf8");
      const status = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
      const head = text.indexOf("\r\n\r\n");
      resolve(
        status === null || head < 0
          ? undefined
          : { status: Number(status[1]), body: text.slice(head + 4) },
      );
    });
  });
}

/** The inspected image's Id when its image-hash label is `imageHash`. */
export function imageIdWithLabel(body: string, imageHash: string): string | undefined {
  let inspected: unknown;
  try {
    inspected = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof inspected !== "object" || inspected === null) return undefined;
  const { Id: id, Config: config } = inspected as { Id?: unknown; Config?: unknown };
  if (typeof id !== "string" || typeof config !== "object" || config === null) return undefined;
  const labels = (config as { Labels?: unknown }).Labels;
  if (typeof labels !== "object" || labels === null) return undefined;
  const label = (labels as Record<string, unknown>)[IMAGE_HASH_LABEL];
  return label === imageHash ? id : undefined;
}
