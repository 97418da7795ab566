/**
 * HTTP plumbing shared by the registry client and its token flow: one fetch with a deadline that
 * turns "could not connect" into an ExternalError naming the registry, and short, redacted
 * excerpts of error bodies for messages.
 */
import { ExternalError } from "../errors/index.js";
import { redact } from "./redact.js";

export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

export interface SendOptions {
  readonly fetch: FetchFunction;
  readonly timeoutMs: number;
  /** For messages: `registry 127.0.0.1:5000` or `token server http://…/token of registry …`. */
  readonly what: string;
  /** The caller's stop (a build's cancel or timeout): ends the request with its reason. */
  readonly signal?: AbortSignal;
}

export async function send(
  url: string,
  init: RequestInit,
  options: SendOptions,
): Promise<Response> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal =
    options.signal === undefined ? deadline : AbortSignal.any([options.signal, deadline]);
  try {
    return await options.fetch(url, { ...init, signal });
  } catch (error) {
    options.signal?.throwIfAborted();
    throw new ExternalError(`${options.what} could not be reached: ${reasonOf(error, options)}`, {
      cause: error,
    });
  }
}

function reasonOf(error: unknown, options: SendOptions): string {
  if (error instanceof Error && error.name === "TimeoutError") {
    return `no answer within ${Math.round(options.timeoutMs / 100) / 10} s`;
  }
  // undici: TypeError("fetch failed") with the system error (ECONNREFUSED, ENOTFOUND…) as cause
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Reads and drops a body we do not need, so the connection can be reused. */
export async function discard(response: Response): Promise<void> {
  try {
    await response.arrayBuffer();
  } catch {
    // the body was already gone; nothing to free
  }
}

/** `HTTP 500 Internal Server Error: MANIFEST_UNKNOWN: manifest unknown` — secrets redacted. */
export async function describeResponse(
  response: Response,
  secrets: Iterable<string>,
): Promise<string> {
  const status = `HTTP ${response.status}${response.statusText === "" ? "" : ` ${response.statusText}`}`;
  let text = "";
  try {
    text = await response.text();
  } catch {
    // a body that cannot be read adds nothing to the message
  }
  const detail = registryErrors(text) ?? text.replace(/\s+/g, " ").trim();
  if (detail === "") return status;
  const short = detail.length > 300 ? `${detail.slice(0, 300)}…` : detail;
  return `${status}: ${redact(short, secrets)}`;
}

/** The distribution spec's `{"errors":[{"code","message"}]}` as `CODE: message; …`. */
function registryErrors(text: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== "object" || json === null || !("errors" in json)) return undefined;
  const errors = json.errors;
  if (!Array.isArray(errors)) return undefined;
  const parts = errors.map((entry: unknown) => {
    if (typeof entry !== "object" || entry === null) return String(entry);
    const code = "code" in entry && typeof entry.code === "string" ? entry.code : "";
    const message = "message" in entry && typeof entry.message === "string" ? entry.message : "";
    return [code, message].filter((part) => part !== "").join(": ");
  });
  return parts.filter((part) => part !== "").join("; ") || undefined;
}
