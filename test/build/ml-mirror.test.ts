/**
 * A real ML stack, when the machine has one: the local wheel mirror (test/support/mirror-index.ts)
 * served as a loopback PEP 503 index. `torch==2.13.0+cpu` and `torchvision` (with numpy and
 * pandas) are resolved by pip's resolver for the conda python 3.11 (the test channel's shim over
 * Debian's python 3.11) and installed by envforge into a base image without pip. The image loads
 * torch, numpy and pandas. torchvision's files and metadata are installed, but its operators are
 * built for the CUDA torch, so `import torchvision` fails on this mirror's CPU torch (a
 * hand-written pip install of the pair fails the same way): the test checks what loads.
 * Skipped, with the reason, on a machine without the mirror; never part of CI's required tests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { definitionHash } from "../../src/definition/definition-hash.js";
import type { Definition } from "../../src/definition/definition.js";
import { lockPip } from "../../src/pip/lock-pip.js";
import { hostPipProblem } from "../../src/pip/run-pip.js";
import { PYTHON_SHIMS } from "../../scripts/support/seed-flow-setup.js";
import { mirrorProblem, startMirrorIndex } from "../support/mirror-index.js";
import type { MirrorIndex } from "../support/mirror-index.js";
import {
  ensurePythonNoPipImage,
  PYTHON_NOPIP_REPOSITORY,
  pythonNoPipTag,
} from "../support/python-nopip-image.js";
import { PLAIN_REGISTRY } from "../support/registry.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { gate, imageDefinition, logCollector, openHarness, shell } from "./harness.js";
import type { Harness } from "./harness.js";

const why = (await mirrorProblem()) ?? (await hostPipProblem());
if (why !== undefined) console.warn(`skipping the ML stack test: ${why}`);
const skip = gate.skip || why !== undefined;

const ML_REQUIREMENTS = ["torch==2.13.0+cpu", "torchvision", "numpy", "pandas"];

let channel: SeedChannel;
let index: MirrorIndex;
let harness: Harness;

beforeAll(async () => {
  if (skip) return;
  gate.require();
  channel = await startSeedChannel({ extra: PYTHON_SHIMS });
  index = await startMirrorIndex();
  harness = await openHarness();
  await ensurePythonNoPipImage();
}, 600_000);

afterAll(async () => {
  await harness?.cleanup();
  await index?.close();
  await channel?.close();
});

describe.skipIf(skip)("torch and torchvision from the local wheel mirror", () => {
  it("resolves, builds and runs torch 2.13.0+cpu on Debian's python 3.11", async () => {
    const definition: Definition = imageDefinition({
      base: {
        kind: "image",
        image: {
          registry: PLAIN_REGISTRY,
          repository: PYTHON_NOPIP_REPOSITORY,
          tag: pythonNoPipTag(),
        },
        defaulted: false,
      },
      conda: {
        channels: [channel.url],
        dependencies: ["python=3.11", "pip"],
        pip: [`--index-url ${index.url}`, ...ML_REQUIREMENTS],
        variables: {},
      },
    });
    const hash = definitionHash(definition);
    const result = await lockPip({
      definition,
      lock: channel.lock(hash, ["pip", "python"]),
      timeoutMs: 120_000,
    });
    if (result.kind !== "locked") throw new Error(result.reason);
    const pip = result.lock.platforms[0]?.pip ?? [];
    expect(pip.find((p) => p.name === "torch")?.version).toBe("2.13.0+cpu");
    expect(pip.map((p) => p.name)).toEqual(
      expect.arrayContaining(["numpy", "pandas", "torch", "torchvision"]),
    );

    const log = logCollector();
    const outcome = harness.track(
      await harness.builder.build({
        definition,
        definitionHash: hash,
        lock: result.lock,
        registry: harness.registry,
        onLog: log.onLog,
      }),
    );
    const image = `${outcome.imageName}:latest`;
    expect(
      await shell(
        image,
        [
          `python -c "import torch; print(torch.__version__, torch.ones(2).sum().item())"`,
          `python -c "import numpy, pandas; print(pandas.DataFrame({'a': numpy.arange(3)})['a'].sum())"`,
          `python -c "import importlib.metadata as m; print(m.version('torchvision'))"`,
          "python -m pip --version >/dev/null 2>&1 && echo pip-present || echo pip-absent",
        ].join("; "),
      ),
    ).toBe(
      [
        "2.13.0+cpu 2.0",
        "3",
        pip.find((p) => p.name === "torchvision")?.version ?? "",
        "pip-absent",
        "",
      ].join("\n"),
    );
  }, 1_800_000);
});
