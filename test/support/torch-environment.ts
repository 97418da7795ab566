/**
 * The torch + torchvision environment the pip and native benches build from the machine's local
 * wheel mirror: conda's python 3.11 and pip from a seed channel, on the python base without pip,
 * with the mirror as the index, a local index for the small `envforge-bench-tiny` wheel (whose
 * version the benches change to rebuild), locked by pip's resolver for the target.
 */
import { definitionHash } from "../../src/definition/definition-hash.js";
import type { Definition } from "../../src/definition/definition.js";
import type { Lock } from "../../src/definition/lock.js";
import { lockPip } from "../../src/pip/lock-pip.js";
import { PYTHON_NOPIP_REPOSITORY, pythonNoPipTag } from "./python-nopip-image.js";
import type { SeedChannel } from "./seed-channel.js";

export const TORCH_PINS = ["torch==2.13.0+cpu", "torchvision==0.28.0", "numpy", "pandas"];

export async function lockedTorchEnvironment(options: {
  /** The registry the base image is named in (the benches' registry, or a proxy before it). */
  readonly baseRegistry: string;
  readonly channel: SeedChannel;
  /** The local wheel mirror's index URL. */
  readonly indexUrl: string;
  /** The index that serves `envforge-bench-tiny`. */
  readonly extraUrl: string;
  readonly tinyVersion: string;
  readonly timeoutMs: number;
}): Promise<{ definition: Definition; definitionHash: string; lock: Lock }> {
  const definition: Definition = {
    kind: "envforge",
    tags: {},
    base: {
      kind: "image",
      image: {
        registry: options.baseRegistry,
        repository: PYTHON_NOPIP_REPOSITORY,
        tag: pythonNoPipTag(),
      },
      defaulted: false,
    },
    conda: {
      channels: [options.channel.url],
      dependencies: ["python=3.11", "pip"],
      pip: [
        `--index-url ${options.indexUrl}`,
        `--extra-index-url ${options.extraUrl}`,
        ...TORCH_PINS,
        `envforge-bench-tiny==${options.tinyVersion}`,
      ],
      variables: {},
    },
    apt: [],
    variables: {},
    platform: "linux-64",
    python: { userManagedDependencies: false, interpreterPath: "python" },
  };
  const hash = definitionHash(definition);
  const locked = await lockPip({
    definition,
    lock: options.channel.lock(hash, ["pip", "python"]),
    timeoutMs: options.timeoutMs,
  });
  if (locked.kind !== "locked") throw new Error(`torch environment: ${locked.reason}`);
  return { definition, definitionHash: hash, lock: locked.lock };
}
