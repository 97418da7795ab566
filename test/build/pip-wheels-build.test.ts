/**
 * pip content installed by envforge on the real engine and registry. A definition with ranges,
 * an extra and a marker is locked by pip's resolver against a loopback PEP 503 index of Debian's
 * real wheels and wheels built here (a console script, a namespace package over two wheels, a
 * platform-tagged wheel), for the conda python of a base image that has python but no pip. The
 * image runs the console script and imports everything, and `python -m pip` is absent from it.
 * Changing one requirement's version pushes exactly that distribution's layer.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatLockFile } from "../../src/conda/lock-file.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import type { Definition } from "../../src/definition/definition.js";
import type { Lock } from "../../src/definition/lock.js";
import { lockPip } from "../../src/pip/lock-pip.js";
import { hostPipProblem } from "../../src/pip/run-pip.js";
import { PYTHON_SHIMS } from "../../scripts/support/seed-flow-setup.js";
import { engineGate } from "../support/docker.js";
import { pipIndexProblem, startPipIndex } from "../support/pip-index.js";
import type { PipIndex } from "../support/pip-index.js";
import {
  ensurePythonNoPipImage,
  PYTHON_NOPIP_REPOSITORY,
  pythonNoPipTag,
} from "../support/python-nopip-image.js";
import { PLAIN_REGISTRY } from "../support/registry.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { buildWheel } from "../support/wheels.js";
import {
  gate,
  imageDefinition,
  logCollector,
  layerEntries,
  manifestLayers,
  openHarness,
  shell,
} from "./harness.js";
import type { Harness } from "./harness.js";

const tools = engineGate(
  "pip wheels",
  (await hostPipProblem()) ?? (await pipIndexProblem()) ?? undefined,
);
const skip = gate.skip || tools.skip;
// New bytes per run, so every layer is new to the registry and pushes can be counted.
const NONCE = randomBytes(8).toString("hex");

const WHEELS = [
  buildWheel({
    name: "alpha",
    version: "1.0",
    requires: ["beta>=2"],
    consoleScripts: { alpha: "alpha:main" },
    files: { "alpha/__init__.py": `def main():\n    print('alpha 1.0 ${NONCE}')\n` },
  }),
  buildWheel({
    name: "alpha",
    version: "1.2",
    extras: ["fast"],
    requires: ["beta>=2", 'gamma; extra == "fast"', 'absent-on-index; python_version < "3"'],
    consoleScripts: { alpha: "alpha:main" },
    files: { "alpha/__init__.py": `def main():\n    print('alpha 1.2 ${NONCE}')\n` },
  }),
  buildWheel({ name: "beta", version: "2.1", files: { "beta.py": `NONCE = '${NONCE}'\n` } }),
  buildWheel({ name: "gamma", version: "1.0", files: { "gamma.py": `G = '${NONCE}'\n` } }),
  buildWheel({ name: "space-a", version: "1.0", files: { "space/a/__init__.py": "A = 'a'\n" } }),
  buildWheel({ name: "space-b", version: "1.0", files: { "space/b/__init__.py": "B = 'b'\n" } }),
  buildWheel({
    name: "native",
    version: "1.0",
    tag: "cp311-cp311-manylinux_2_17_x86_64",
    files: { "native/__init__.py": `KIND = 'platform ${NONCE}'\n` },
  }),
];

let channel: SeedChannel;
let index: PipIndex;
let harness: Harness;
let baseTag: string;

beforeAll(async () => {
  if (skip) return;
  gate.require();
  tools.require();
  channel = await startSeedChannel({ extra: PYTHON_SHIMS });
  index = await startPipIndex({ files: WHEELS });
  harness = await openHarness();
  // The first run on a machine installs python3 with apt (about half a minute).
  await ensurePythonNoPipImage();
  baseTag = pythonNoPipTag();
}, 600_000);

afterAll(async () => {
  await harness?.cleanup();
  await index?.close();
  await channel?.close();
});

function definitionOf(requirements: readonly string[]): Definition {
  return imageDefinition({
    base: {
      kind: "image",
      image: { registry: PLAIN_REGISTRY, repository: PYTHON_NOPIP_REPOSITORY, tag: baseTag },
      defaulted: false,
    },
    conda: {
      channels: [channel.url],
      dependencies: ["python=3.11", "pip"],
      pip: [`--index-url ${index.url}`, ...requirements],
      variables: {},
    },
  });
}

async function locked(
  requirements: readonly string[],
): Promise<{ definition: Definition; lock: Lock }> {
  const definition = definitionOf(requirements);
  const conda = channel.lock(definitionHash(definition), ["pip", "python"]);
  const result = await lockPip({ definition, lock: conda });
  if (result.kind !== "locked") throw new Error(result.reason);
  return { definition, lock: result.lock };
}

const REQUIREMENTS = ["alpha[fast]>=1", "wheel>=0.30", "space-a", "space-b", "native"];

describe.skipIf(skip)("pip wheels installed by envforge on the Docker engine", () => {
  it("locks ranges byte-identically twice, builds without pip, and runs a console script", async () => {
    const { definition, lock } = await locked(REQUIREMENTS);
    const again = await locked(REQUIREMENTS);
    expect(formatLockFile(again.lock)).toBe(formatLockFile(lock));
    expect(lock.platforms[0]?.pip.map((p) => `${p.name}==${p.version}`)).toEqual([
      "alpha==1.2",
      "beta==2.1",
      "gamma==1.0",
      "native==1.0",
      "space-a==1.0",
      "space-b==1.0",
      "wheel==0.38.4",
    ]);
    for (const p of lock.platforms[0]?.pip ?? []) expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);

    const log = logCollector();
    const outcome = harness.track(
      await harness.builder.build({
        definition,
        definitionHash: definitionHash(definition),
        lock,
        registry: harness.registry,
        onLog: log.onLog,
      }),
    );
    const image = `${outcome.imageName}:latest`;
    const output = await shell(
      image,
      [
        "alpha",
        `python -c "import space.a, space.b, native, gamma, wheel; print(space.a.A + space.b.B, native.KIND, wheel.__version__)"`,
        "python -m pip --version >/dev/null 2>&1 && echo pip-present || echo pip-absent",
        "/usr/bin/python3 -m pip --version >/dev/null 2>&1 && echo pip-present || echo pip-absent",
        "cat /opt/envforge/env/lib/python3.11/site-packages/alpha-1.2.dist-info/INSTALLER",
        "head -n 1 /opt/envforge/env/bin/alpha",
      ].join("; "),
    );
    expect(output).toBe(
      [
        `alpha 1.2 ${NONCE}`,
        `ab platform ${NONCE} 0.38.4`,
        "pip-absent",
        "pip-absent",
        "envforge",
        "#!/opt/envforge/env/bin/python",
        "",
      ].join("\n"),
    );
    const steps = log.lines.filter((line) => line.stream === "step").map((line) => line.text);
    expect(steps.filter((step) => / COPY envforge\/pip\//.test(step))).toHaveLength(7);
    expect(steps.some((step) => /pip install/.test(step))).toBe(false);
    expect(
      log.lines.some(
        (l) => l.stream === "envforge" && /^pip: installed 7 wheels into 7 layers/.test(l.text),
      ),
    ).toBe(true);
  });

  it("pushes only the layer of the one distribution whose version changed", async () => {
    const a = await locked(REQUIREMENTS);
    const b = await locked(["alpha==1.0", ...REQUIREMENTS.slice(1)]);
    // alpha 1.0 needs beta but not gamma: the lock drops gamma, and its layer goes too.
    expect(b.lock.platforms[0]?.pip.map((p) => `${p.name}==${p.version}`)).toEqual([
      "alpha==1.0",
      "beta==2.1",
      "native==1.0",
      "space-a==1.0",
      "space-b==1.0",
      "wheel==0.38.4",
    ]);
    const built = await harness.builder.build({
      definition: a.definition,
      definitionHash: definitionHash(a.definition),
      lock: a.lock,
      registry: harness.registry,
    });
    const changed = harness.track(
      await harness.builder.build({
        definition: b.definition,
        definitionHash: definitionHash(b.definition),
        lock: b.lock,
        registry: harness.registry,
      }),
    );
    const before = await manifestLayers(built.imageName, built.digest);
    const after = await manifestLayers(changed.imageName, changed.digest);
    const fresh = after.filter((layer) => !before.includes(layer));
    // One new layer, alpha 1.0's, and gamma's layer gone: every other layer kept its digest.
    expect(fresh).toHaveLength(1);
    expect(before.filter((layer) => !after.includes(layer))).toHaveLength(2);
    const entries = await layerEntries(changed.imageName, fresh[0] ?? "");
    expect(entries).toContain("opt/envforge/env/lib/python3.11/site-packages/alpha/__init__.py");
    // alpha's files and nothing else: its package, its dist-info, its console script.
    expect(
      entries.filter(
        (e) => !e.endsWith("/") && !/site-packages\/alpha(-1\.0\.dist-info)?\//.test(e),
      ),
    ).toEqual(["opt/envforge/env/bin/alpha"]);
    expect(changed.pushedBlobs).toBe(1);
    expect(await shell(`${changed.imageName}:latest`, "alpha")).toBe(`alpha 1.0 ${NONCE}\n`);
  });
});
