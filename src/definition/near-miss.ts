/**
 * Near-miss keys: `chanels` is `channels` misspelt. A key one or two edits (insert, delete,
 * substitute, swap two neighbours) from a known key of any definition kind is named with the key
 * it most likely meant and the kind that key belongs to.
 */
import { AZUREML_V2_KEYS, ENVFORGE_ONLY_KEYS } from "./definition-schema.js";

/** Top-level keys of each kind of YAML definition, for near-miss suggestions and detection. */
export const TOP_LEVEL_KEYS: readonly {
  readonly kind: string;
  readonly keys: readonly string[];
}[] = [
  {
    kind: "a conda environment file",
    keys: ["name", "channels", "dependencies", "variables", "prefix"],
  },
  { kind: "an Azure ML v2 environment YAML", keys: AZUREML_V2_KEYS },
  { kind: "an envforge.yaml", keys: ENVFORGE_ONLY_KEYS },
];

const MAX_DISTANCE = 2;

/**
 * Optimal string alignment distance, or MAX_DISTANCE + 1 when it is larger. Keys are short and the
 * band is narrow, so this is O(length × 5) per pair.
 */
export function editDistance(a: string, b: string): number {
  const limit = MAX_DISTANCE + 1;
  if (Math.abs(a.length - b.length) > MAX_DISTANCE || a.length > 64 || b.length > 64) return limit;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i += 1) {
    const row: number[] = [];
    for (let j = 0; j <= b.length; j += 1) {
      if (i === 0 || j === 0) {
        row.push(i + j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (rows[i - 1]?.[j] ?? limit) + 1,
        (row[j - 1] ?? limit) + 1,
        (rows[i - 1]?.[j - 1] ?? limit) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (rows[i - 2]?.[j - 2] ?? limit) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return Math.min(rows[a.length]?.[b.length] ?? limit, limit);
}

/** The one candidate 1–2 edits from `word` (the nearest; none when two tie), if any. */
export function nearestKey(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = MAX_DISTANCE + 1;
  let tie = false;
  for (const candidate of new Set(candidates)) {
    if (word === candidate) continue;
    const distance = lower === candidate ? 1 : editDistance(lower, candidate);
    if (distance > MAX_DISTANCE) continue;
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
      tie = false;
    } else if (distance === bestDistance) {
      tie = true;
    }
  }
  return tie ? undefined : best;
}

/** A known top-level key of any kind that `word` most likely meant, with that kind. */
export function nearMissAnyKind(
  word: string,
): { readonly key: string; readonly kind: string } | undefined {
  const key = nearestKey(
    word,
    TOP_LEVEL_KEYS.flatMap((entry) => entry.keys),
  );
  if (key === undefined) return undefined;
  const kind = TOP_LEVEL_KEYS.find((entry) => entry.keys.includes(key))?.kind ?? "";
  return { key, kind };
}
