/**
 * pip resolution to the lock with the host's real pip against a loopback PEP 503 index of
 * Debian's real wheels and wheels built here: ranges, extras, markers and dependencies resolve to
 * exact versions for the target's python (from the conda lock), never the host's, and never from
 * the host's pip configuration.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatLockFile } from "../conda/lock-file.js";
import type { Definition } from "../definition/definition.js";
import type { Lock } from "../definition/lock.js";
import { ValidationError } from "../errors/index.js";
import { pipIndexProblem, startPipIndex } from "../../test/support/pip-index.js";
import type { PipIndex } from "../../test/support/pip-index.js";
import { buildSdist, buildWheel } from "../../test/support/wheels.js";
import { lockPip } from "./lock-pip.js";
import { hostPipProblem } from "./run-pip.js";

const skip = (await hostPipProblem()) ?? (await pipIndexProblem());
if (skip !== undefined) console.warn(`skipping pip resolution tests: ${skip}`);

const FILES = [
  buildWheel({
    name: "alpha",
    version: "1.0",
    requires: ["beta>=2"],
  }),
  buildWheel({
    name: "alpha",
    version: "1.2",
    extras: ["fast"],
    requires: ["beta>=2", 'gamma; extra == "fast"', 'delta; python_version < "3"'],
    consoleScripts: { alpha: "alpha:main" },
    files: { "alpha/__init__.py": "def main():\n    print('alpha 1.2')\n" },
  }),
  buildWheel({ name: "beta", version: "2.0" }),
  buildWheel({ name: "beta", version: "2.1" }),
  buildWheel({ name: "beta", version: "3.0b1" }),
  buildWheel({ name: "gamma", version: "1.0" }),
  buildWheel({ name: "native", version: "1.0", tag: "cp311-cp311-manylinux_2_17_x86_64" }),
  buildWheel({ name: "native", version: "2.0", tag: "cp312-cp312-manylinux_2_17_x86_64" }),
  buildWheel({ name: "toonew", version: "1.0", tag: "cp313-cp313-manylinux_2_17_x86_64" }),
  buildSdist("onlysrc", "1.0"),
];

function definition(requirements: readonly string[], indexUrl?: string, pre = false): Definition {
  return {
    kind: "envforge",
    tags: {},
    base: { kind: "image", image: { repository: "base" }, defaulted: false },
    pip: {
      requirements: requirements.map((requirement) => ({
        name: /^[a-z0-9._-]+/i.exec(requirement)?.[0] ?? requirement,
        requirement,
        hashes: [],
      })),
      constraints: [],
      ...(indexUrl === undefined ? {} : { indexUrl }),
      extraIndexUrls: [],
      findLinks: [],
      pre,
    },
    apt: [],
    variables: {},
    platform: "linux-64",
    python: { userManagedDependencies: false, interpreterPath: "python" },
  };
}

function condaLock(python: string): Lock {
  return {
    version: 1,
    definitionHash: `envforge_${"0".repeat(32)}`,
    channels: [],
    platforms: [
      {
        platform: "linux-64",
        virtualPackages: ["__glibc=2.28", "__unix=0"],
        conda: [
          {
            name: "python",
            version: python,
            build: "h0",
            buildNumber: 0,
            channel: "test",
            subdir: "linux-64",
            filename: `python-${python}-h0.conda`,
            url: `http://127.0.0.1:9/python-${python}-h0.conda`,
            sha256: "0".repeat(64),
            depends: [],
            constrains: [],
          },
        ],
        pip: [],
      },
    ],
  };
}

const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

describe.skipIf(skip !== undefined)("lockPip with pip's resolver", () => {
  let index: PipIndex;
  beforeAll(async () => {
    index = await startPipIndex({ files: FILES });
  });
  afterAll(() => index?.close());

  it("resolves ranges, extras, markers and dependencies to exact wheels with sha256, the same bytes twice", async () => {
    const request = {
      definition: definition(["alpha[fast]>=1", "native", "wheel>=0.30"], index.url),
      lock: condaLock("3.11.2"),
    };
    const first = await lockPip(request);
    const second = await lockPip(request);
    if (first.kind !== "locked" || second.kind !== "locked") throw new Error(JSON.stringify(first));
    const pip = first.lock.platforms[0]?.pip ?? [];
    const files = `${index.url.replace("/simple", "")}/files`;
    // beta 3.0b1 is a pre-release: not without --pre. delta's marker is false for python 3.
    expect(pip.map((p) => [p.name, p.version, p.url, p.filename])).toEqual([
      ["alpha", "1.2", `${files}/alpha-1.2-py3-none-any.whl`, "alpha-1.2-py3-none-any.whl"],
      ["beta", "2.1", `${files}/beta-2.1-py3-none-any.whl`, "beta-2.1-py3-none-any.whl"],
      ["gamma", "1.0", `${files}/gamma-1.0-py3-none-any.whl`, "gamma-1.0-py3-none-any.whl"],
      [
        "native",
        "1.0",
        `${files}/native-1.0-cp311-cp311-manylinux_2_17_x86_64.whl`,
        "native-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
      ],
      [
        "wheel",
        "0.38.4",
        `${files}/wheel-0.38.4-py3-none-any.whl`,
        "wheel-0.38.4-py3-none-any.whl",
      ],
    ]);
    for (const p of pip.filter((p) => p.name !== "wheel")) {
      const built = FILES.find((f) => f.file === p.filename);
      expect(p.sha256).toBe(sha256(built?.bytes ?? Buffer.alloc(0)));
    }
    expect(formatLockFile(second.lock)).toBe(formatLockFile(first.lock));
  });

  it("resolves tags and markers for the target's python, not the host's, and honours --pre", async () => {
    const requirements = ["native", "beta", 'gamma; python_version >= "3.12"'];
    const result = await lockPip({
      definition: definition(requirements, index.url, true),
      lock: condaLock("3.12.1"),
    });
    if (result.kind !== "locked") throw new Error(JSON.stringify(result));
    expect(result.lock.platforms[0]?.pip.map((p) => `${p.name}==${p.version}`)).toEqual([
      "beta==3.0b1",
      "gamma==1.0",
      "native==2.0",
    ]);
    // The host's python is 3.11 too: the marker is false only for a 3.11 target.
    const older = await lockPip({
      definition: definition(requirements, index.url, true),
      lock: condaLock("3.11.2"),
    });
    if (older.kind !== "locked") throw new Error(JSON.stringify(older));
    expect(older.lock.platforms[0]?.pip.map((p) => `${p.name}==${p.version}`)).toEqual([
      "beta==3.0b1",
      "native==1.0",
    ]);
  });

  it("ignores the host's pip configuration and PIP_* variables", async () => {
    // A host whose pip would find a newer alpha: in a user config, a global config and PIP_*
    // variables, all set by the interpreter itself so that only --isolated keeps them out.
    const dir = await mkdtemp(join(tmpdir(), "envforge-pip-host-"));
    const newer = buildWheel({ name: "alpha", version: "9.9" });
    await mkdir(join(dir, "home/.config/pip"), { recursive: true });
    await mkdir(join(dir, "xdg/pip"), { recursive: true });
    await writeFile(join(dir, newer.file), newer.bytes);
    const conf = `[global]\nfind-links = ${dir}\nextra-index-url = file:///opt/pypi/simple\n`;
    await writeFile(join(dir, "home/.config/pip/pip.conf"), conf);
    await writeFile(join(dir, "xdg/pip/pip.conf"), conf);
    const python = join(dir, "python3");
    await writeFile(
      python,
      [
        "#!/bin/sh",
        `export HOME=${dir}/home XDG_CONFIG_DIRS=${dir}/xdg PIP_FIND_LINKS=${dir}`,
        'exec /usr/bin/python3 "$@"',
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    try {
      const result = await lockPip({
        definition: definition(["alpha"], index.url),
        lock: condaLock("3.11.2"),
        python,
      });
      if (result.kind !== "locked") throw new Error(JSON.stringify(result));
      expect(result.lock.platforms[0]?.pip.find((p) => p.name === "alpha")?.version).toBe("1.2");
      // requests is in this machine's mirror folders (when it has them), never on the test index.
      await expect(
        lockPip({
          definition: definition(["requests"], index.url),
          lock: condaLock("3.11.2"),
          python,
        }),
      ).rejects.toThrow(/requests is not on the index/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("honours --find-links and --hash", async () => {
    const beta = FILES.find((f) => f.file === "beta-2.0-py3-none-any.whl");
    const good = `sha256:${sha256(beta?.bytes ?? Buffer.alloc(0))}`;
    const withOptions = (requirement: string, hashes: readonly string[]): Definition => {
      const base = definition([], "http://127.0.0.1:9/simple");
      return {
        ...base,
        pip: {
          requirements: [{ name: "beta", requirement, hashes }],
          constraints: [],
          // No index answers: only the find-links page (a project page of the index) has beta.
          indexUrl: "http://127.0.0.1:9/simple",
          extraIndexUrls: [],
          findLinks: [`${index.url}/beta/`],
          pre: false,
        },
      };
    };
    const found = await lockPip({
      definition: withOptions("beta==2.0", [good]),
      lock: condaLock("3.11.2"),
    });
    if (found.kind !== "locked") throw new Error(JSON.stringify(found));
    expect(
      found.lock.platforms[0]?.pip.map((p) => [p.name, p.version, `sha256:${p.sha256}`]),
    ).toEqual([["beta", "2.0", good]]);
    await expect(
      lockPip({
        definition: withOptions("beta==2.0", [`sha256:${"0".repeat(64)}`]),
        lock: condaLock("3.11.2"),
      }),
    ).rejects.toThrow(/^pip: pip cannot resolve the requirements for python 3\.11.*HASHES/s);
  });

  it.each<[string, string, RegExp]>([
    [
      "a project the index does not have",
      "absent>=1",
      /^pip: pip requirement "absent>=1": absent is not on the index \(tried http:\/\/127\.0\.0\.1:\d+\/simple\)/,
    ],
    [
      "a project with no wheel for the target",
      "toonew",
      /pip requirement "toonew": no wheel of toonew for the target on http:\/\/127\.0\.0\.1:\d+\/simple; tags tried: python 3\.11 \(cp311, abi3, none; py3-none-any\), platforms manylinux_2_28_x86_64 … manylinux1_x86_64.*found "?toonew-1\.0-cp313-cp313-manylinux_2_17_x86_64\.whl/s,
    ],
    [
      "a project with only an sdist",
      "onlysrc==1.0",
      /pip requirement "onlysrc==1\.0": onlysrc has only source distributions \(sdists\) on http:\/\/127\.0\.0\.1:\d+\/simple; envforge installs wheels and never builds them.*onlysrc-1\.0\.tar\.gz/s,
    ],
  ])("refuses %s, naming it, the index and the tags", async (_title, requirement, message) => {
    const result = lockPip({
      definition: definition([requirement], index.url),
      lock: condaLock("3.11.2"),
    });
    await expect(result).rejects.toBeInstanceOf(ValidationError);
    await expect(result).rejects.toThrow(message);
  });

  it("is unavailable, not refused, when the index cannot be reached or is not set", async () => {
    const closed = await lockPip({
      definition: definition(["alpha"], "http://127.0.0.1:9/simple"),
      lock: condaLock("3.11.2"),
    });
    expect(closed).toMatchObject({
      kind: "unavailable",
      reason: expect.stringMatching(
        /^pip index http:\/\/127\.0\.0\.1:9\/simple\/alpha\/ could not be reached/,
      ),
    });
    expect(await lockPip({ definition: definition(["alpha"]), lock: condaLock("3.11.2") })).toEqual(
      {
        kind: "unavailable",
        reason: "the pip requirements name no --index-url and no default index is set",
      },
    );
  });

  it("says when the host has no python with pip", async () => {
    expect(
      await lockPip({
        definition: definition(["alpha"], index.url),
        lock: condaLock("3.11.2"),
        python: "/nonexistent/python3",
      }),
    ).toEqual({
      kind: "unavailable",
      reason:
        "pip requirements are resolved with the host's python3 and pip, and /nonexistent/python3 is missing (on Debian: apt-get install python3-pip)",
    });
  });
});
