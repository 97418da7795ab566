import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatLockFile, parseLockFile } from "../../src/conda/lock-file.js";
import { bindLock } from "../../src/definition/lock-binding.js";
import type { Definition } from "../../src/definition/definition.js";
import type { Lock } from "../../src/definition/lock.js";
import { resolutionKey } from "../../src/definition/resolution-hash.js";
import { parsePipRequirements } from "../../src/definition/pip-requirements.js";
import { lockPip, pipInputs } from "../../src/pip/lock-pip.js";
import { vcsDependencies } from "../../src/pip/vcs-dependencies.js";
import { pinsOf } from "../../src/definition/vcs-pins.js";
import { ExternalError, ValidationError } from "../../src/errors/index.js";
import { pinVcsRequirements } from "../../src/pip/lock-vcs.js";
import { startGitDaemon } from "../support/git-daemon.js";
import { withLoopbackDefaults } from "../support/loopback-defaults.js";
import type { GitDaemon } from "../support/git-daemon.js";

// git runs with the loopback defaults and this machine's PATH only.
const OPTIONS = { env: withLoopbackDefaults({ PATH: process.env.PATH }) };
let repo: GitDaemon;
beforeAll(async () => {
  repo = await startGitDaemon();
});
afterAll(async () => {
  await repo.stop();
});

function requirements(text: string) {
  return parsePipRequirements({ path: "requirements.txt", text }, { readInclude: () => undefined })
    .requirements;
}

describe("pinning VCS requirements to commits (git daemon on loopback)", () => {
  it("pins an annotated tag, a lightweight tag, a branch and no ref to their commits", async () => {
    const pins = await pinVcsRequirements(
      requirements(
        [
          `vcsdemo @ git+${repo.url}@v1`,
          `git+${repo.url}@v2#egg=two`,
          `three @ git+${repo.url}@feature`,
          `-e git+${repo.url}#egg=four&subdirectory=vcsdemo`,
          "numpy==1.26.4",
        ].join("\n"),
      ),
      OPTIONS,
    );
    expect(pins.map((pin) => [pin.name, pin.commit, pin.requirement])).toEqual([
      ["vcsdemo", repo.v1, `vcsdemo @ git+${repo.url}@${repo.v1}`],
      ["two", repo.main, `two @ git+${repo.url}@${repo.main}`],
      ["three", repo.feature, `three @ git+${repo.url}@${repo.feature}`],
      ["four", repo.main, `four @ git+${repo.url}@${repo.main}#subdirectory=vcsdemo`],
    ]);
  });

  it("takes a full commit id as it is", async () => {
    const [pin] = await pinVcsRequirements(
      requirements(`x @ git+${repo.url}@${repo.feature}`),
      OPTIONS,
    );
    expect(pin?.commit).toBe(repo.feature);
  });

  it("names a ref the repository does not have", async () => {
    const error = await pinVcsRequirements(requirements(`x @ git+${repo.url}@nope`), OPTIONS).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toBe(
      `git repository ${repo.url} has no branch or tag "nope" (found "nope"; allowed: a branch or tag of the repository, or a full 40-hex commit id)`,
    );
  });

  it("reports a repository that is not there as an engine failure", async () => {
    const error = await pinVcsRequirements(
      requirements(`x @ git+${repo.url.replace("vcsdemo.git", "missing.git")}@v1`),
      OPTIONS,
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toMatch(
      /^git ls-remote git:\/\/127\.0\.0\.1:\d+\/missing\.git failed: /,
    );
  });

  it("refuses an hg requirement without a fixed changeset", async () => {
    const error = await pinVcsRequirements(
      requirements("hg+https://127.0.0.1:9/proj@default#egg=proj"),
      OPTIONS,
    ).catch((caught: unknown) => caught);
    expect((error as ValidationError).message).toBe(
      'hg+https://127.0.0.1:9/proj names no fixed revision, and envforge pins only git refs itself (found "default"; allowed: a full 40-hex changeset id after @)',
    );
  });
});

function definitionWith(condaPip: readonly string[], pipText?: string): Definition {
  return {
    kind: "envforge",
    tags: {},
    base: { kind: "image", image: { repository: "base" }, defaulted: false },
    conda: {
      channels: ["defaults"],
      dependencies: ["python=3.11", "pip"],
      pip: [...condaPip],
      variables: {},
    },
    ...(pipText === undefined
      ? {}
      : {
          pip: {
            ...parsePipRequirements(
              { path: "requirements.txt", text: pipText },
              { readInclude: () => undefined },
            ),
          },
        }),
    apt: [],
    variables: {},
    platform: "linux-64",
    python: { userManagedDependencies: false, interpreterPath: "python" },
  };
}

/** A conda lock with no pip part, keyed by the definition, as the conda solver leaves it. */
function condaLock(definition: Definition): Lock {
  return {
    version: 2,
    resolution: resolutionKey(definition),
    definitionHash: "envforge_00000000000000000000000000000000",
    channels: ["http://127.0.0.1:9/defaults"],
    platforms: [{ platform: "linux-64", virtualPackages: [], conda: [], pip: [] }],
  };
}

describe("VCS pins in the lock (git daemon on loopback)", () => {
  it("leaves VCS lines out of what pip's resolver is given", () => {
    const definition = definitionWith(
      ["requests==2.0", `-e git+${repo.url}#egg=four`, `three @ git+${repo.url}@feature`, "--pre"],
      `numpy==1.26.4\nvcsdemo @ git+${repo.url}@v1\n`,
    );
    const inputs = pipInputs(definition, "http://127.0.0.1:9/simple");
    expect(inputs.requirements).toEqual(["requests==2.0", "numpy==1.26.4"]);
    expect(inputs.otherOptions).toEqual([]);
    expect(inputs.pre).toBe(true);
  });

  it("pins every VCS requirement of both pip lists into the lock, with no index asked", async () => {
    // Only VCS requirements: pip's resolver has nothing to do, and no index is configured.
    const definition = definitionWith(
      [`-e git+${repo.url}#egg=four`],
      `vcsdemo @ git+${repo.url}@v1\n`,
    );
    const result = await lockPip({ definition, lock: condaLock(definition), git: OPTIONS });
    expect(result.kind).toBe("locked");
    const lock = result.kind === "locked" ? result.lock : undefined;
    expect(lock?.vcs).toEqual([
      {
        name: "four",
        requirement: `git+${repo.url}#egg=four`,
        vcs: "git",
        url: repo.url,
        commit: repo.main,
      },
      {
        name: "vcsdemo",
        requirement: `vcsdemo @ git+${repo.url}@v1`,
        vcs: "git",
        url: repo.url,
        commit: repo.v1,
      },
    ]);
    // The file holds the pins and reads back the same; the lock fits its definition.
    const text = formatLockFile(lock as Lock);
    expect(text).toContain(`    commit: ${repo.v1}\n`);
    expect(parseLockFile(text).vcs).toEqual(lock?.vcs);
    expect(() => bindLock(parseLockFile(text), definition)).not.toThrow();
  });

  it("tells lock --check which VCS requirement the lock does not pin", () => {
    const definition = definitionWith([], `vcsdemo @ git+${repo.url}@v1\n`);
    const error = (() => {
      try {
        bindLock(condaLock(definition), definition, "envforge.lock");
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect((error as ValidationError).message).toBe(
      `envforge.lock: vcs: the lock does not fit the definition's VCS requirements: VCS requirement "vcsdemo @ git+${repo.url}@v1" has no pinned commit in the lock (allowed: a lock made for this definition (envforge lock pins every VCS requirement))`,
    );
  });

  it("refuses a lock file whose pin is not a full commit id", () => {
    const definition = definitionWith([], `vcsdemo @ git+${repo.url}@v1\n`);
    const text = formatLockFile({
      ...condaLock(definition),
      vcs: [{ name: "vcsdemo", requirement: "x", vcs: "git", url: repo.url, commit: "main" }],
    });
    expect(() => parseLockFile(text)).toThrow(/vcs\[0\]\.commit.*expected a full commit id/s);
  });
});

describe("what a VCS project declares (git daemon on loopback)", () => {
  it("reads the static dependencies of the pinned commit, leaving direct references out", async () => {
    const declaring = await startGitDaemon("declaring", {
      dependencies: ['wheel==0.38.4; python_version >= "3.8"', "other @ git+https://127.0.0.1:9/x"],
    });
    try {
      const definition = definitionWith([], `declaring @ git+${declaring.url}@v1\n`);
      const result = await lockPip({ definition, lock: condaLock(definition), git: OPTIONS });
      // The declared wheel must be resolved, and there is no index to resolve it on; the pin
      // made before that is handed back for a lock file to keep.
      expect(result).toEqual({
        kind: "unavailable",
        reason: "the pip requirements name no --index-url and no default index is set",
        vcs: [
          {
            name: "declaring",
            requirement: `declaring @ git+${declaring.url}@v1`,
            vcs: "git",
            url: declaring.url,
            commit: declaring.v1,
          },
        ],
      });
      const lock = {
        vcs: [
          {
            name: "declaring",
            requirement: `declaring @ git+${declaring.url}@v1`,
            vcs: "git" as const,
            url: declaring.url,
            commit: declaring.v1,
          },
        ],
      };
      const pinned = pinsOf(definition, lock).flatMap(({ pin, requirement }) =>
        pin === undefined ? [] : [{ pin, requirement }],
      );
      expect(await vcsDependencies(pinned, OPTIONS)).toEqual([
        'wheel==0.38.4; python_version >= "3.8"',
      ]);
    } finally {
      await declaring.stop();
    }
  });

  it("declares nothing for a project without static dependencies", async () => {
    const definition = definitionWith([], `vcsdemo @ git+${repo.url}@v1\n`);
    const pinned = pinsOf(definition, {
      vcs: [
        {
          name: "vcsdemo",
          requirement: `vcsdemo @ git+${repo.url}@v1`,
          vcs: "git",
          url: repo.url,
          commit: repo.v1,
        },
      ],
    }).flatMap(({ pin, requirement }) => (pin === undefined ? [] : [{ pin, requirement }]));
    expect(pinned).toHaveLength(1);
    expect(await vcsDependencies(pinned, OPTIONS)).toEqual([]);
  });
});
