/**
 * Reading the Docker engine's progress streams (newline-delimited JSON) for builds and pushes.
 * Failures arrive as `{error}` events in a stream that ends normally, never as a stream error,
 * so both readers return what the events said and leave judging it to the caller.
 */
import { createInterface } from "node:readline";
import { z } from "zod";

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
    if (event.status === "Pushed") this.#pushed.add(event.id);
    else if (event.status === "Layer already exists" || event.status.startsWith("Mounted from")) {
      this.#reused.add(event.id);
    }
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
