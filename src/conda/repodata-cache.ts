/**
 * repodata.json per channel and subdir, cached on disk and revalidated with ETag /
 * If-Modified-Since, so a repeated solve moves a 304 instead of megabytes and works offline.
 * Local-folder channels are read from disk. The bytes are kept as served: the solver reads them.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as z from "zod";
import { ExternalError } from "../errors/index.js";
import { stripUrlCredentials } from "../definition/definition-hash.js";
import type { Channel } from "./channels.js";
import { parseRepodata } from "./repodata-record.js";
import type { RepodataIndex } from "./repodata-record.js";

/**
 * `downloaded`: fetched in full; `revalidated`: the channel answered 304; `cache`: used without
 * asking (offline); `local`: read from a local folder; `missing`: the channel has no such subdir.
 */
export type RepodataSource = "downloaded" | "revalidated" | "cache" | "local" | "missing";

export interface Repodata {
  readonly channel: Channel;
  readonly subdir: string;
  /** `<channel>/<subdir>/repodata.json`, credentials removed (for messages and logs). */
  readonly url: string;
  /** The bytes as served; an empty index when the subdir is missing. */
  readonly body: Buffer;
  readonly index: RepodataIndex;
  readonly source: RepodataSource;
}

export interface RepodataCacheOptions {
  /** e.g. `$ENVFORGE_HOME/cache/repodata`. */
  readonly cacheDir: string;
  /** Injected for tests; default the global fetch. */
  readonly fetch?: typeof globalThis.fetch;
  /** Use cached repodata without asking the channel; fails for what was never cached. */
  readonly offline?: boolean;
  /** Per request; default 60 s. */
  readonly timeoutMs?: number;
  /** Parsed repodata kept between locks of a long-running process (the HTTP server). */
  readonly memory?: RepodataMemory;
}

/**
 * Parsed repodata kept in memory between locks, keyed by URL and the validators it was cached
 * with: a 304 for the same validators then costs neither a file read nor a JSON parse.
 */
export class RepodataMemory {
  readonly #entries = new Map<string, { stamp: string; body: Buffer; index: RepodataIndex }>();
  readonly #limit: number;

  /** `limit`: channel subdirs kept, least recently used dropped first. */
  constructor(limit = 32) {
    this.#limit = limit;
  }

  get(url: string, stamp: string): { body: Buffer; index: RepodataIndex } | undefined {
    const entry = this.#entries.get(url);
    if (entry === undefined || entry.stamp !== stamp) return undefined;
    this.#entries.delete(url);
    this.#entries.set(url, entry);
    return entry;
  }

  set(url: string, stamp: string, body: Buffer, index: RepodataIndex): void {
    this.#entries.delete(url);
    this.#entries.set(url, { stamp, body, index });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#limit) break;
      this.#entries.delete(oldest);
    }
  }
}

export interface LoadRepodataOptions extends RepodataCacheOptions {
  readonly channel: Channel;
  readonly subdir: string;
}

const cacheMeta = z.object({
  url: z.string(),
  etag: z.string().optional(),
  lastModified: z.string().optional(),
});
type CacheMeta = z.infer<typeof cacheMeta>;

export async function loadRepodata(options: LoadRepodataOptions): Promise<Repodata> {
  const { channel, subdir } = options;
  const fullUrl = `${channel.url}/${subdir}/repodata.json`;
  const url = stripUrlCredentials(fullUrl);
  const make = (body: Buffer, source: RepodataSource): Repodata => ({
    channel,
    subdir,
    url,
    body,
    source,
    index: parseRepodata(body, { channel: channel.name, url, subdir }),
  });

  if (channel.localPath !== undefined) {
    const body = await readFile(join(channel.localPath, subdir, "repodata.json")).catch(
      (error: unknown) => {
        if (isCode(error, "ENOENT")) return undefined;
        throw new ExternalError(`channel "${channel.name}": cannot read ${url}`, { cause: error });
      },
    );
    return body === undefined ? make(emptyRepodata(subdir), "missing") : make(body, "local");
  }

  const key = createHash("sha256").update(fullUrl).digest("hex").slice(0, 32);
  const bodyPath = join(options.cacheDir, `${key}.json`);
  const metaPath = join(options.cacheDir, `${key}.meta.json`);
  const cached = await readCachedMeta(metaPath);
  const fromCache = async (source: RepodataSource): Promise<Repodata | undefined> => {
    if (cached === undefined) return undefined;
    const stamp = `${cached.etag ?? ""}\n${cached.lastModified ?? ""}`;
    const remembered = options.memory?.get(fullUrl, stamp);
    if (remembered !== undefined) return { channel, subdir, url, source, ...remembered };
    // A missing or damaged body is only a cache miss.
    const body = await readFile(bodyPath).catch(() => undefined);
    if (body === undefined) return undefined;
    const repodata = make(body, source);
    options.memory?.set(fullUrl, stamp, body, repodata.index);
    return repodata;
  };

  if (options.offline) {
    const offline = await fromCache("cache");
    if (offline === undefined) {
      throw new ExternalError(
        `channel "${channel.name}": no cached repodata for ${subdir} (${url}) and offline mode is on`,
      );
    }
    return offline;
  }

  const { target, authorization } = splitCredentials(fullUrl);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const request = async (conditional: boolean): Promise<Response> => {
    const headers: Record<string, string> = { accept: "application/json", ...authorization };
    if (conditional && cached?.etag !== undefined) headers["if-none-match"] = cached.etag;
    if (conditional && cached?.lastModified !== undefined) {
      headers["if-modified-since"] = cached.lastModified;
    }
    try {
      return await fetchImpl(target, {
        headers,
        signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      });
    } catch (error) {
      throw new ExternalError(
        `channel "${channel.name}" could not be reached at ${url}: ${reason(error)}`,
        { cause: error },
      );
    }
  };
  let response = await request(true);
  if (response.status === 304) {
    await response.body?.cancel();
    const revalidated = await fromCache("revalidated");
    if (revalidated !== undefined) return revalidated;
    // The validators outlived their body (removed by hand?): ask for the body itself.
    response = await request(false);
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return make(emptyRepodata(subdir), "missing");
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ExternalError(
      `channel "${channel.name}" answered ${response.status} ${response.statusText} for ${url}`,
    );
  }
  const body = Buffer.from(
    await response.arrayBuffer().catch((error: unknown) => {
      throw new ExternalError(
        `channel "${channel.name}": the download of ${url} broke off: ${reason(error)}`,
        { cause: error },
      );
    }),
  );
  // Parse before caching: a broken body must not be served again on the next 304.
  const repodata = make(body, "downloaded");
  const meta: CacheMeta = {
    url,
    ...optional("etag", response.headers.get("etag")),
    ...optional("lastModified", response.headers.get("last-modified")),
  };
  await writeCached({ cacheDir: options.cacheDir, bodyPath, metaPath, body, meta });
  options.memory?.set(
    fullUrl,
    `${meta.etag ?? ""}\n${meta.lastModified ?? ""}`,
    body,
    repodata.index,
  );
  return repodata;
}

async function readCachedMeta(metaPath: string): Promise<CacheMeta | undefined> {
  try {
    const meta = cacheMeta.safeParse(JSON.parse(await readFile(metaPath, "utf8")));
    return meta.success ? meta.data : undefined;
  } catch {
    // A missing or damaged cache entry is only a cache miss.
    return undefined;
  }
}

interface WriteCachedInput {
  readonly cacheDir: string;
  readonly bodyPath: string;
  readonly metaPath: string;
  readonly body: Buffer;
  readonly meta: CacheMeta;
}

/** Body first, then meta, each by rename: a reader never pairs new validators with old bytes. */
async function writeCached(input: WriteCachedInput): Promise<void> {
  await mkdir(input.cacheDir, { recursive: true });
  const suffix = `.${randomUUID()}.tmp`;
  await writeFile(input.metaPath + suffix, JSON.stringify(input.meta));
  await writeFile(input.bodyPath + suffix, input.body);
  await rename(input.bodyPath + suffix, input.bodyPath);
  await rename(input.metaPath + suffix, input.metaPath);
}

/** fetch refuses URLs with `user:password@`; send them as HTTP Basic instead. */
function splitCredentials(url: string): {
  target: string;
  authorization: Record<string, string>;
} {
  const parsed = new URL(url);
  if (parsed.username === "" && parsed.password === "") return { target: url, authorization: {} };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = "";
  parsed.password = "";
  const token = Buffer.from(`${user}:${password}`).toString("base64");
  return { target: parsed.href, authorization: { authorization: `Basic ${token}` } };
}

function emptyRepodata(subdir: string): Buffer {
  return Buffer.from(JSON.stringify({ info: { subdir }, packages: {}, "packages.conda": {} }));
}

function optional<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value === null ? {} : ({ [key]: value } as Partial<Record<K, string>>);
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && "code" in error && error.code === code;
}

/** fetch hides the socket error in `cause`; the user wants `ECONNREFUSED`, not "fetch failed". */
function reason(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return "timed out";
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    return "code" in cause && typeof cause.code === "string" ? cause.code : cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}
