/**
 * Match specs as rattler can take them. rattler 0.3.5 (WASM) panics, and takes the process down,
 * on any spec naming a channel (`pytorch::pytorch`, `numpy[channel=…]`): resolving a channel
 * asks for the current directory, which WASM does not have. So envforge removes the channel
 * from the spec and enforces it itself: the pinned name is left out of every other channel's
 * repodata served to the solver, which is what conda's `channel::name` means.
 */
import { ProblemCollector } from "../errors/index.js";
import { formatMatchSpec, parseMatchSpec } from "../definition/match-spec.js";
import type { Channel } from "./channels.js";

export interface SolverSpecs {
  /** Specs to hand to rattler, in the order given, with no channel in them. */
  readonly specs: readonly string[];
  /** Package name → index of the only channel it may come from. */
  readonly pins: ReadonlyMap<string, number>;
}

export interface PrepareSpecsOptions {
  readonly specs: readonly string[];
  readonly channels: readonly Channel[];
  /** For messages. */
  readonly file?: string;
  readonly key?: string;
}

export function prepareSolverSpecs(options: PrepareSpecsOptions): SolverSpecs {
  const problems = new ProblemCollector();
  const pins = new Map<string, number>();
  const key = options.key ?? "dependencies";
  const at = (index: number) => ({
    ...(options.file ? { file: options.file } : {}),
    key: `${key}[${index}]`,
  });
  const specs = options.specs.map((text, index) => {
    const parsed = parseMatchSpec(text);
    if (!parsed.ok) {
      problems.add({
        ...at(index),
        message: parsed.error.message,
        found: JSON.stringify(text),
        ...(parsed.error.example ? { allowed: `e.g. ${parsed.error.example}` } : {}),
      });
      return text;
    }
    const { spec } = parsed;
    if (spec.extra.url !== undefined) {
      // rattler: "direct url queries are not supported"; a lock names packages in channels.
      problems.add({
        ...at(index),
        message: "a package URL cannot be a dependency to solve",
        found: JSON.stringify(text),
        allowed: "the package's name and version, with its channel in channels:",
      });
      return text;
    }
    if (spec.channel === undefined) return text;
    const wanted = spec.channel.replace(/\/+$/, "");
    const channelIndex = options.channels.findIndex(
      (channel) =>
        channel.name === wanted || channel.url === wanted || channel.name === spec.channel,
    );
    if (channelIndex < 0) {
      problems.add({
        ...at(index),
        message: `channel "${spec.channel}" of this dependency is not one of the definition's channels`,
        found: JSON.stringify(text),
        allowed: options.channels.map((channel) => channel.name).join(", "),
      });
      return text;
    }
    const earlier = pins.get(spec.name);
    if (earlier !== undefined && earlier !== channelIndex) {
      problems.add({
        ...at(index),
        message: `${spec.name} is pinned to two channels`,
        found: JSON.stringify(text),
        allowed: "one channel per package",
      });
    }
    if (spec.name !== "*") pins.set(spec.name, channelIndex);
    return formatMatchSpec({ ...spec, channel: undefined });
  });
  problems.throwIfAny();
  return { specs, pins };
}

/**
 * The repodata of channel `channelIndex` without the packages pinned to other channels; the
 * same bytes when nothing needs to go.
 */
export function withoutPinnedElsewhere(
  body: Buffer,
  channelIndex: number,
  pins: ReadonlyMap<string, number>,
): Buffer {
  const excluded = new Set(
    [...pins.entries()].filter(([, index]) => index !== channelIndex).map(([name]) => name),
  );
  if (excluded.size === 0) return body;
  const json: unknown = JSON.parse(body.toString("utf8"));
  if (typeof json !== "object" || json === null) return body;
  for (const section of ["packages", "packages.conda"]) {
    const records: unknown = Reflect.get(json, section);
    if (typeof records !== "object" || records === null) continue;
    for (const [filename, record] of Object.entries(records)) {
      const name: unknown =
        typeof record === "object" && record !== null ? Reflect.get(record, "name") : undefined;
      if (typeof name === "string" && excluded.has(name)) Reflect.deleteProperty(records, filename);
    }
  }
  return Buffer.from(JSON.stringify(json));
}
