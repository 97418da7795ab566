/**
 * One package download: streamed to a file while its sha256 is computed, retried with
 * exponential backoff when the network or the server fails, never retried (and the file removed)
 * when the bytes are wrong. `http(s):` and `file:` URLs.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { ExternalError } from "../errors/index.js";

export type Fetch = typeof globalThis.fetch;

export interface DownloadOptions {
  readonly url: string;
  /** The file to write; replaced if it exists, removed when the download fails. */
  readonly destination: string;
  /** 64 hex digits the bytes must hash to. */
  readonly sha256: string;
  /** Names the package in messages: its file name, e.g. `zlib-1.2.11-h7b6447c_3.tar.bz2`. */
  readonly label: string;
  readonly fetch?: Fetch;
  /** Retries after the first attempt; default 3. */
  readonly retries?: number;
  /** First backoff; doubled each retry. Default 500 ms. */
  readonly backoffMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onBytes?: (received: number, total: number | undefined) => void;
  /** Aborting stops the download at once (no retry); it rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Longest wait for the answer's headers, per attempt; default 30 s. */
  readonly connectTimeoutMs?: number;
  /** Longest wait for the next bytes of the body, per attempt; default 30 s. */
  readonly idleTimeoutMs?: number;
}

/** Connect and idle deadlines of package downloads when the caller sets none. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;

export interface DownloadResult {
  readonly bytes: number;
  readonly attempts: number;
}

class TransientError extends Error {}

export async function downloadVerified(options: DownloadOptions): Promise<DownloadResult> {
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 500;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  for (let attempt = 1; ; attempt += 1) {
    options.signal?.throwIfAborted();
    try {
      const bytes = await downloadOnce(options);
      return { bytes, attempts: attempt };
    } catch (error) {
      await rm(options.destination, { force: true });
      // A build's cancel or timeout: its own reason, not a download failure to retry.
      options.signal?.throwIfAborted();
      if (!(error instanceof TransientError) || attempt > retries) {
        if (error instanceof ExternalError) throw error;
        const tries = attempt === 1 ? "" : ` after ${attempt} attempts`;
        throw new ExternalError(
          `${options.label}: download from ${redactUrl(options.url)} failed${tries}: ${messageOf(error)}`,
          { cause: error },
        );
      }
      await abortable(sleep(backoffMs * 2 ** (attempt - 1)), options.signal);
    }
  }
}

async function downloadOnce(options: DownloadOptions): Promise<number> {
  // One controller per attempt: the caller's signal, the connect deadline and the idle deadline
  // all end it, so a channel that stops answering mid-body cannot hold the download forever.
  const attempt = new AbortController();
  const onAbort = (): void => attempt.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const deadline = new Deadline(attempt);
  try {
    deadline.arm(options.connectTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS, "no answer");
    const { body, total } = await open(options, attempt.signal);
    const idleMs = options.idleTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
    deadline.arm(idleMs, "no bytes received");
    const hash = createHash("sha256");
    let received = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        deadline.arm(idleMs, "no bytes received");
        hash.update(chunk);
        received += chunk.length;
        options.onBytes?.(received, total);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(options.destination), {
        signal: attempt.signal,
      });
    } catch (error) {
      // A connection cut or stalled mid-body is worth another try; a full disk is not, but is rare.
      const stalled = deadline.reason;
      throw new TransientError(
        stalled === undefined ? messageOf(error) : `${stalled} after ${received} bytes`,
        { cause: error },
      );
    }
    return verified(options, hash.digest("hex"), received);
  } finally {
    deadline.clear();
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** One timer that aborts the attempt; re-armed at each stage and each chunk. */
class Deadline {
  readonly #controller: AbortController;
  #timer: NodeJS.Timeout | undefined;
  reason: string | undefined;

  constructor(controller: AbortController) {
    this.#controller = controller;
  }

  arm(ms: number, what: string): void {
    this.clear();
    this.#timer = setTimeout(() => {
      this.reason = `${what} within ${formatSeconds(ms)}`;
      this.#controller.abort(new Error(this.reason));
    }, ms);
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function abortable(work: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return work;
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function verified(options: DownloadOptions, actual: string, received: number): number {
  if (actual !== options.sha256.toLowerCase()) {
    throw new ExternalError(
      `${options.label}: sha256 mismatch (expected ${options.sha256.toLowerCase()}, got ${actual})`,
    );
  }
  return received;
}

async function open(
  options: DownloadOptions,
  signal: AbortSignal,
): Promise<{ body: Readable; total?: number }> {
  if (options.url.startsWith("file:")) {
    // A local file that cannot be read will not appear by waiting: fail without retrying.
    const path = fileURLToPath(options.url);
    const file = await stat(path);
    return { body: createReadStream(path), total: file.size };
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await fetchImpl(options.url, { redirect: "follow", signal });
  } catch (error) {
    const reason: unknown = signal.reason;
    const text = signal.aborted && reason instanceof Error ? reason.message : causeText(error);
    throw new TransientError(text, { cause: error });
  }
  if (!response.ok || response.body === null) {
    const text = `HTTP ${response.status}${response.statusText === "" ? "" : ` ${response.statusText}`}`;
    await response.body?.cancel();
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      throw new TransientError(text);
    }
    throw new Error(text);
  }
  const length = Number(response.headers.get("content-length") ?? Number.NaN);
  return {
    body: Readable.fromWeb(response.body),
    ...(Number.isFinite(length) ? { total: length } : {}),
  };
}

/** Drops user:password and conda token segments (`/t/<token>/`) so a URL can be shown. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.pathname = parsed.pathname.replace(/\/t\/[^/]+\//, "/t/***/");
    return parsed.toString();
  } catch {
    return "<invalid URL>";
  }
}

function causeText(error: unknown): string {
  const cause =
    error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${messageOf(error)}${cause}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
