/**
 * conda: an environment file with no `channels:` (or an empty list) is solved from conda's
 * default channels, the channel `defaults` (what it maps to is configuration:
 * `ENVFORGE_DEFAULT_CHANNELS`, src/host/config.ts). envforge keeps the channels as written in the
 * definition, so its hash is unchanged (docs/hashing.md), and shows `defaults` wherever it writes
 * the file for a person or a tool: the ingredients and `convert`.
 */
import { isMap, isScalar, isSeq, parseDocument } from "yaml";
import type { Document } from "yaml";

export const IMPLICIT_CONDA_CHANNELS: readonly string[] = ["defaults"];

/** The channels conda solves from: those written, or `defaults` when none are. */
export function condaChannelsOrDefaults(channels: readonly string[]): readonly string[] {
  return channels.length > 0 ? channels : IMPLICIT_CONDA_CHANNELS;
}

/** Gives a parsed conda file `channels: [defaults]` when it names none; true when it changed. */
export function addImplicitChannels(document: Document): boolean {
  const map = document.contents;
  if (!isMap(map)) return false;
  const channels = map.get("channels", true);
  if (isSeq(channels) && channels.items.length > 0) return false;
  const empty = channels == null || (isScalar(channels) && channels.value == null);
  if (!empty && !isSeq(channels)) return false;
  const node = document.createNode([...IMPLICIT_CONDA_CHANNELS]);
  if (map.has("channels")) {
    map.set("channels", node);
    return true;
  }
  const pair = document.createPair("channels", node);
  const nameAt = map.items.findIndex((item) => String(item.key) === "name");
  map.items.splice(nameAt + 1, 0, pair);
  return true;
}

/** The conda file's text with `channels: [defaults]` added when it names none. */
export function withImplicitChannels(text: string): string {
  const document = parseDocument(text);
  if (document.errors.length > 0 || !addImplicitChannels(document)) return text;
  return document.toString({ flowCollectionPadding: false, lineWidth: 0 });
}
