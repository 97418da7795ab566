import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePipRequirements } from "../../src/definition/pip-requirements.js";
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
