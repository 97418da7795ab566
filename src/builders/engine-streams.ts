/**
 * Reading the Docker engine's progress streams (newline-delimited JSON) for builds and pushes.
 * Failures arrive as `{error}` events in a stream that ends normally, never as a stream error,
 * so both readers return what the events said and leave judging it to the caller.
 */
import { createInterface } from "node:readline";
import * as z from "zod";

/** Each non-empty line of the stream, in order. */
export async function forEachLine(
  stream: NodeJS.ReadableStream,
  onLine: (line: string) => void,
): Promise<void> {
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    if (line.trim() !== "") onLine(line);
  }
}

const PushEvent = z.looseObject({
  status: z.string().optional(),
  id: z.string().optional(),
  error: z.string().optional(),
  aux: z.looseObject({ Digest: z.string().optional() }).optional(),
  progressDetail: z
    .looseObject({ current: z.number().optional(), total: z.number().optional() })
    .optional(),
});

export interface PushResult {
  readonly digest?: string;
  readonly error?: string;
  /** Layer ids the engine sent (`Pushed`), not those the registry had or mounted. */
  readonly pushed: readonly string[];
  /** Layer ids the registry had (`Layer already exists`) or mounted from another repository. */
  readonly reused: readonly string[];
}

/** Folds push progress events; `Pushed`/`Layer already exists`/`Mounted from …` per layer id. */
export class PushProgress {
  readonly #onBytes: ((done: number, total: number) => void) | undefined;
  /** Layer id → [bytes sent, layer size], as the engine reports them. */
  readonly #layers = new Map<string, [number, number]>();
  readonly #pushed = new Set<string>();
  readonly #reused = new Set<string>();
  #digest: string | undefined;
  #error: string | undefined;

  pushLine(line: string): void {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return;
    }
    const parsed = PushEvent.safeParse(json);
    if (!parsed.success) return;
    const event = parsed.data;
    if (event.error !== undefined) this.#error = event.error;
    if (event.aux?.Digest !== undefined) this.#digest = event.aux.Digest;
    if (event.id === undefined || event.status === undefined) return;
    this.#progress(event.id, event.status, event.progressDetail);
    if (event.status === "Pushed") this.#pushed.add(event.id);
    else if (event.status === "Layer already exists" || event.status.startsWith("Mounted from")) {
      this.#reused.add(event.id);
    }
  }

  /** `onBytes` hears the bytes sent of all layers the engine has sized so far. */
  constructor(onBytes?: (done: number, total: number) => void) {
    this.#onBytes = onBytes;
  }

  #progress(
    id: string,
    status: string,
    detail:
      { readonly current?: number | undefined; readonly total?: number | undefined } | undefined,
  ): void {
    if (this.#onBytes === undefined) return;
    const known = this.#layers.get(id);
    if (status === "Pushing" && detail?.total !== undefined) {
      this.#layers.set(id, [detail.current ?? 0, detail.total]);
    } else if (status === "Pushed" && known !== undefined) {
      this.#layers.set(id, [known[1], known[1]]);
    } else {
      return;
    }
    let done = 0;
    let total = 0;
    for (const [sent, size] of this.#layers.values()) {
      done += sent;
      total += size;
    }
    this.#onBytes(done, total);
  }

  result(): PushResult {
    return {
      ...(this.#digest === undefined ? {} : { digest: this.#digest }),
      ...(this.#error === undefined ? {} : { error: this.#error }),
      pushed: [...this.#pushed].sort(),
      reused: [...this.#reused].sort(),
    };
  }
}
