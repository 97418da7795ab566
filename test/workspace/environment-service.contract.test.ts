/**
 * The contract of the workspace service, run unchanged against SQLite and PostgreSQL: every
 * versioning, label, archive, curated, workspace and token rule of ARCHITECTURE.md. Each test
 * works in a workspace of its own, so the tests of one store share a database safely.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConflictError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from "../../src/errors/index.js";
import type { Lock } from "../../src/definition/lock.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import { hashSecret } from "../../src/workspace/api-tokens.js";
import type { CuratedCatalog } from "../../src/workspace/curated-catalog.js";
import type { EnvironmentService } from "../../src/workspace/environment-service.js";
import { createEnvironmentService } from "../../src/workspace/environment-service.js";
import type { WorkspaceStore } from "../../src/workspace/store.js";
import type { StoreHarness } from "./fixtures.js";
import {
  countingIds,
  definitionWith,
  harnessKinds,
  openHarness,
  reportSkippedPostgres,
  steppingClock,
} from "./fixtures.js";

const { kinds, adminUrl, skipped } = await harnessKinds();
reportSkippedPostgres("workspace service", skipped);

const CURATED: CuratedCatalog = {
  list: async () => [
    {
      name: "envforge-test-minimal",
      version: 1,
      definition: definitionWith(["zlib"], { description: "shipped for tests" }),
      sourceFiles: { "envforge.yaml": "name: envforge-test-minimal\n" },
    },
  ],
};

describe.each(kinds)("workspace service on %s", (kind) => {
  let harness: StoreHarness;
  let store: WorkspaceStore;
  let service: EnvironmentService;
  let workspaces = 0;

  beforeAll(async () => {
    harness = await openHarness(kind, adminUrl);
    store = await harness.open();
    service = createEnvironmentService({
      store,
      clock: steppingClock(),
      newId: countingIds("token"),
      curated: CURATED,
    });
  });
  afterAll(async () => {
    await store?.close();
    await harness?.dispose();
  });

  async function freshWorkspace(): Promise<string> {
    const name = `ws-${++workspaces}`;
    await service.createWorkspace({ name });
    return name;
  }

  async function rejects(work: () => Promise<unknown>): Promise<unknown> {
    const before = await store.read((tx) => tx.countRows());
    const error = await work().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeDefined();
    expect(await store.read((tx) => tx.countRows())).toEqual(before);
    return error;
  }

  describe("workspaces", () => {
    it("has the default workspace from the start and keeps names unique", async () => {
      const names = (await service.listWorkspaces()).map((w) => w.name);
      expect(names).toContain("default");
      const workspace = await service.createWorkspace({ name: "team-a", description: "vision" });
      expect(workspace).toEqual({
        name: "team-a",
        description: "vision",
        createdAt: expect.stringMatching(/^2026-01-01T/),
      });
      expect(await service.getWorkspace({ name: "team-a" })).toEqual(workspace);
      const error = await rejects(() => service.createWorkspace({ name: "team-a" }));
      expect(error).toBeInstanceOf(ConflictError);
      expect(String(error)).toContain('workspace "team-a" already exists');
      const sorted = (await service.listWorkspaces()).map((w) => w.name);
      expect(sorted).toEqual([...sorted].sort());
    });

    it("keeps environments of one name apart in two workspaces", async () => {
      const a = await freshWorkspace();
      const b = await freshWorkspace();
      await service.registerEnvironment({
        workspace: a,
        name: "torch",
        definition: definitionWith(["numpy"]),
      });
      await service.registerEnvironment({
        workspace: a,
        name: "torch",
        definition: definitionWith(["scipy"]),
      });
      const inB = await service.registerEnvironment({
        workspace: b,
        name: "torch",
        definition: definitionWith(["pandas"]),
      });
      expect(inB.version.version).toBe(1);
      expect((await service.getEnvironmentVersion({ workspace: a, name: "torch" })).version).toBe(
        2,
      );
      expect((await service.listEnvironments({ workspace: b })).items.map((e) => e.name)).toEqual([
        "torch",
      ]);
    });

    it("refuses an unknown workspace and writes nothing", async () => {
      const error = await rejects(() =>
        service.registerEnvironment({
          workspace: "nowhere",
          name: "x",
          definition: definitionWith([]),
        }),
      );
      expect(error).toBeInstanceOf(NotFoundError);
      expect(String(error)).toContain('workspace "nowhere" not found');
    });
  });

  describe("versioning", () => {
    it("an unchanged definition sent again updates its description and tags, not its version", async () => {
      const workspace = await freshWorkspace();
      const register = (metadata: { description?: string; tags?: Record<string, string> }) =>
        service.registerEnvironment({
          workspace,
          name: "resend",
          definition: definitionWith(["numpy"], metadata),
        });
      const first = await register({ description: "one", tags: { team: "a" } });
      expect(first.version).toMatchObject({ version: 1, description: "one", tags: { team: "a" } });

      const retagged = await register({ description: "two", tags: { team: "b", stage: "x" } });
      expect(retagged.created).toBe(false);
      expect(retagged.version).toMatchObject({
        version: 1,
        description: "two",
        tags: { team: "b", stage: "x" },
      });
      const shown = await service.getEnvironmentVersion({ workspace, name: "resend", version: 1 });
      expect(shown).toMatchObject({ description: "two", tags: { team: "b", stage: "x" } });

      // Nothing sent keeps what is stored (e.g. what `env update` set).
      const bare = await register({});
      expect(bare.version).toMatchObject({
        version: 1,
        description: "two",
        tags: { team: "b", stage: "x" },
      });
      expect((await service.listVersions({ workspace, name: "resend" })).items).toHaveLength(1);
    });

    it("returns the latest version for the same definition and adds one for a changed one", async () => {
      const workspace = await freshWorkspace();
      const first = await service.registerEnvironment({
        workspace,
        name: "pytorch",
        definition: definitionWith(["numpy", "scipy"]),
        description: "first",
      });
      expect(first.created).toBe(true);
      expect(first.version).toMatchObject({
        workspace,
        name: "pytorch",
        version: 1,
        definitionHash: definitionHash(definitionWith(["numpy", "scipy"])),
        description: "first",
        labels: ["latest"],
        archived: false,
        curated: false,
      });

      // Same image: order and metadata do not count, so no new version; the description sent
      // replaces the stored one, as Azure ML's "description-only change → v1 updated".
      const again = await service.registerEnvironment({
        workspace,
        name: "pytorch",
        definition: definitionWith(["scipy", "numpy"], { description: "other words" }),
      });
      expect(again.created).toBe(false);
      expect(again.version.version).toBe(1);
      expect(again.version.description).toBe("other words");

      const changed = await service.registerEnvironment({
        workspace,
        name: "pytorch",
        definition: definitionWith(["numpy", "scipy", "pandas"]),
      });
      expect(changed).toMatchObject({ created: true, version: { version: 2, labels: ["latest"] } });

      // Compared with latest only: going back to v1's content is a new version.
      const back = await service.registerEnvironment({
        workspace,
        name: "pytorch",
        definition: definitionWith(["numpy", "scipy"]),
      });
      expect(back).toMatchObject({ created: true, version: { version: 3 } });
      expect(
        (await service.getEnvironmentVersion({ workspace, name: "pytorch", version: 1 })).labels,
      ).toEqual([]);
    });

    it("moves the environment's updatedAt when a version is added, not when one is returned", async () => {
      const workspace = await freshWorkspace();
      await service.registerEnvironment({
        workspace,
        name: "t",
        definition: definitionWith(["x"]),
      });
      const first = await service.getEnvironment({ workspace, name: "t" });
      await service.registerEnvironment({
        workspace,
        name: "t",
        definition: definitionWith(["x"]),
      });
      expect((await service.getEnvironment({ workspace, name: "t" })).updatedAt).toBe(
        first.updatedAt,
      );
      await service.registerEnvironment({
        workspace,
        name: "t",
        definition: definitionWith(["y"]),
      });
      const second = await service.getEnvironment({ workspace, name: "t" });
      expect(second.updatedAt > first.updatedAt).toBe(true);
      expect(second.createdAt).toBe(first.createdAt);
      expect(
        await rejects(() => service.getEnvironment({ workspace, name: "none" })),
      ).toBeInstanceOf(NotFoundError);
    });

    it("stores the definition, lock, source files, description and tags as given", async () => {
      const workspace = await freshWorkspace();
      const definition = definitionWith(["numpy"], { tags: { team: "vision" } });
      const hash = definitionHash(definition);
      const lock: Lock = {
        version: 1,
        definitionHash: hash,
        channels: ["http://127.0.0.1:8080/defaults"],
        platforms: [
          { platform: "linux-64", virtualPackages: ["__glibc=2.36"], conda: [], pip: [] },
        ],
      };
      const { version } = await service.registerEnvironment({
        workspace,
        name: "locked",
        definition,
        lock,
        sourceFiles: { "env.yml": "dependencies:\n  - numpy\n" },
      });
      const read = await service.getEnvironmentVersion({ workspace, name: "locked", version: 1 });
      expect(read).toEqual(version);
      expect(read.definition).toEqual(JSON.parse(JSON.stringify(definition)));
      expect(read.lock).toEqual(lock);
      expect(read.tags).toEqual({ team: "vision" });
      expect(read.sourceFiles).toEqual({ "env.yml": "dependencies:\n  - numpy\n" });
    });

    it("takes an explicit version, returns it for the same content and refuses other content", async () => {
      const workspace = await freshWorkspace();
      const five = await service.registerEnvironment({
        workspace,
        name: "explicit",
        definition: definitionWith(["numpy"]),
        version: 5,
      });
      expect(five.version.version).toBe(5);
      const next = await service.registerEnvironment({
        workspace,
        name: "explicit",
        definition: definitionWith(["scipy"]),
      });
      expect(next.version.version).toBe(6);
      const same = await service.registerEnvironment({
        workspace,
        name: "explicit",
        definition: definitionWith(["numpy"]),
        version: 5,
      });
      expect(same).toMatchObject({ created: false, version: { version: 5 } });

      const error = await rejects(() =>
        service.registerEnvironment({
          workspace,
          name: "explicit",
          definition: definitionWith(["pandas"]),
          version: 5,
        }),
      );
      expect(error).toBeInstanceOf(ConflictError);
      expect(String(error)).toContain(
        `environment "explicit" version 5 already exists in workspace "${workspace}" with another definition (stored ${definitionHash(definitionWith(["numpy"]))}, given ${definitionHash(definitionWith(["pandas"]))})`,
      );
    });

    it("takes the version written in the definition file, as Azure ML's register does", async () => {
      const workspace = await freshWorkspace();
      const written = { ...definitionWith(["numpy"]), version: "3" };
      const first = await service.registerEnvironment({
        workspace,
        name: "w",
        definition: written,
      });
      expect(first).toMatchObject({ created: true, version: { version: 3 } });
      const conflict = await rejects(() =>
        service.registerEnvironment({
          workspace,
          name: "w",
          definition: { ...definitionWith(["scipy"]), version: "3" },
        }),
      );
      expect(conflict).toBeInstanceOf(ConflictError);
      const overridden = await service.registerEnvironment({
        workspace,
        name: "w",
        definition: { ...definitionWith(["scipy"]), version: "3" },
        version: 7,
      });
      expect(overridden.version.version).toBe(7);
      const bad = await rejects(() =>
        service.registerEnvironment({
          workspace,
          name: "w",
          definition: { ...definitionWith(["pandas"]), version: "1.0.0" },
        }),
      );
      expect(String(bad)).toContain(
        'version: not a valid version number (found "1.0.0"; allowed: an integer from 1 to 2147483647)',
      );
    });

    it("reports every problem of a bad registration at once and writes nothing", async () => {
      const workspace = await freshWorkspace();
      const error = await rejects(() =>
        service.registerEnvironment({
          workspace,
          name: "-bad name",
          definition: definitionWith([]),
          version: 0,
          tags: { "": "x" },
        }),
      );
      expect(error).toBeInstanceOf(ValidationError);
      const problems = error instanceof ValidationError ? error.problems : [];
      expect(problems.map((p) => p.key)).toEqual(["name", "version", "tags"]);
      expect(String(error)).toContain(
        `name: not a valid environment name (found "-bad name"; allowed: 1 to 255 letters, digits, '.', '_' or '-', starting with a letter or digit)`,
      );
      expect((await service.listEnvironments({ workspace })).items).toEqual([]);
    });

    it("rolls back the environment row it created when the transaction fails later", async () => {
      const workspace = await freshWorkspace();
      const failing: WorkspaceStore = {
        ...store,
        write: (work) =>
          store.write((tx) =>
            work({
              ...tx,
              insertVersion: async () => {
                throw new Error("disk full");
              },
            }),
          ),
      };
      const broken = createEnvironmentService({ store: failing, curated: CURATED });
      const error = await rejects(() =>
        broken.registerEnvironment({ workspace, name: "half", definition: definitionWith([]) }),
      );
      expect(String(error)).toContain("disk full");
      expect((await service.listEnvironments({ workspace, includeArchived: true })).items).toEqual(
        [],
      );
    });

    it("refuses to go past the highest version number", async () => {
      const workspace = await freshWorkspace();
      await service.registerEnvironment({
        workspace,
        name: "top",
        definition: definitionWith(["x"]),
        version: 2_147_483_647,
      });
      const error = await rejects(() =>
        service.registerEnvironment({ workspace, name: "top", definition: definitionWith(["y"]) }),
      );
      expect(error).toBeInstanceOf(ConflictError);
      expect(String(error)).toContain("has used the highest version number (2147483647)");
    });

    it("refuses a lock of another definition and writes nothing", async () => {
      const workspace = await freshWorkspace();
      const other = definitionHash(definitionWith(["other"]));
      const error = await rejects(() =>
        service.registerEnvironment({
          workspace,
          name: "x",
          definition: definitionWith(["numpy"]),
          lock: { version: 1, definitionHash: other, channels: [], platforms: [] },
        }),
      );
      expect(String(error)).toContain(
        `lock: the lock was resolved from another definition (found ${other}`,
      );
    });
  });

  describe("updates", () => {
    it("changes description and tags only", async () => {
      const workspace = await freshWorkspace();
      const { version } = await service.registerEnvironment({
        workspace,
        name: "u",
        definition: definitionWith(["numpy"]),
        description: "old",
        tags: { a: "1" },
      });
      const updated = await service.updateVersion({
        workspace,
        name: "u",
        version: 1,
        changes: { description: "new", tags: { b: "2" } },
      });
      expect(updated).toMatchObject({
        description: "new",
        tags: { b: "2" },
        createdAt: version.createdAt,
      });
      expect(updated.updatedAt > version.updatedAt).toBe(true);
      const cleared = await service.updateVersion({
        workspace,
        name: "u",
        version: 1,
        changes: { description: null },
      });
      expect(cleared.description).toBeUndefined();
      expect(cleared.tags).toEqual({ b: "2" });

      const error = await rejects(() =>
        service.updateVersion({
          workspace,
          name: "u",
          version: 1,
          changes: { definition: definitionWith(["scipy"]), description: "sneaky", version: 2 },
        }),
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect(String(error)).toContain(
        'definition: cannot be changed after registration (found "definition"; allowed: description, tags; labels with setLabel, archived with archive or restore; anything else needs a new version)',
      );
      expect(
        (await service.getEnvironmentVersion({ workspace, name: "u", version: 1 })).description,
      ).toBeUndefined();
    });

    it("reports a missing version", async () => {
      const workspace = await freshWorkspace();
      await service.registerEnvironment({ workspace, name: "u", definition: definitionWith([]) });
      const error = await rejects(() =>
        service.updateVersion({ workspace, name: "u", version: 9, changes: { description: "x" } }),
      );
      expect(error).toBeInstanceOf(NotFoundError);
      expect(String(error)).toContain(
        `environment "u" in workspace "${workspace}" has no version 9`,
      );
    });
  });

  describe("labels", () => {
    it("moves custom labels and finds versions by them", async () => {
      const workspace = await freshWorkspace();
      for (const pkg of ["a", "b", "c"]) {
        await service.registerEnvironment({
          workspace,
          name: "l",
          definition: definitionWith([pkg]),
        });
      }
      expect(
        (await service.setLabel({ workspace, name: "l", label: "prod", version: 1 })).labels,
      ).toEqual(["prod"]);
      await service.setLabel({ workspace, name: "l", label: "staging", version: 3 });
      expect(
        (await service.getEnvironmentVersion({ workspace, name: "l", label: "prod" })).version,
      ).toBe(1);
      await service.setLabel({ workspace, name: "l", label: "prod", version: 2 });
      expect(
        (await service.getEnvironmentVersion({ workspace, name: "l", label: "prod" })).version,
      ).toBe(2);
      expect((await service.getEnvironmentVersion({ workspace, name: "l" })).labels).toEqual([
        "latest",
        "staging",
      ]);
      expect(
        (await service.listVersions({ workspace, name: "l" })).items.map((v) => [
          v.version,
          v.labels,
        ]),
      ).toEqual([
        [3, ["latest", "staging"]],
        [2, ["prod"]],
        [1, []],
      ]);
      expect(await service.getEnvironment({ workspace, name: "l" })).toMatchObject({
        latestVersion: 3,
        labels: { latest: 3, prod: 2, staging: 3 },
        curated: false,
      });
      await service.removeLabel({ workspace, name: "l", label: "prod" });
      const missing = await rejects(() =>
        service.getEnvironmentVersion({ workspace, name: "l", label: "prod" }),
      );
      expect(String(missing)).toContain(
        `environment "l" in workspace "${workspace}" has no label "prod"`,
      );
      expect(
        await rejects(() => service.removeLabel({ workspace, name: "l", label: "prod" })),
      ).toBeInstanceOf(NotFoundError);
      expect(
        await rejects(() => service.setLabel({ workspace, name: "l", label: "prod", version: 4 })),
      ).toBeInstanceOf(NotFoundError);
    });

    it("manages latest itself", async () => {
      const workspace = await freshWorkspace();
      await service.registerEnvironment({ workspace, name: "l", definition: definitionWith([]) });
      const error = await rejects(() =>
        service.setLabel({ workspace, name: "l", label: "latest", version: 1 }),
      );
      expect(String(error)).toContain(
        'label: the label "latest" is managed by envforge: it always names the newest unarchived version',
      );
      expect(
        await rejects(() => service.removeLabel({ workspace, name: "l", label: "latest" })),
      ).toBeInstanceOf(ValidationError);
      expect(
        (await service.getEnvironmentVersion({ workspace, name: "l", label: "latest" })).version,
      ).toBe(1);
      const both = await rejects(() =>
        service.getEnvironmentVersion({ workspace, name: "l", label: "latest", version: 1 }),
      );
      expect(String(both)).toContain("label: give a version or a label, not both");
    });
  });

  describe("archive and restore", () => {
    it("hides an archived version from lists and latest but still finds it by number", async () => {
      const workspace = await freshWorkspace();
      await service.registerEnvironment({
        workspace,
        name: "a",
        definition: definitionWith(["x"]),
      });
      await service.registerEnvironment({
        workspace,
        name: "a",
        definition: definitionWith(["y"]),
      });
      await service.archive({ workspace, name: "a", version: 2 });
      expect((await service.getEnvironmentVersion({ workspace, name: "a" })).version).toBe(1);
      expect(
        (await service.listVersions({ workspace, name: "a" })).items.map((v) => v.version),
      ).toEqual([1]);
      expect(
        (await service.listVersions({ workspace, name: "a", includeArchived: true })).items.map(
          (v) => v.version,
        ),
      ).toEqual([2, 1]);
      const archived = await service.getEnvironmentVersion({ workspace, name: "a", version: 2 });
      expect(archived).toMatchObject({ archived: true, labels: [] });
      expect((await service.listEnvironments({ workspace })).items).toMatchObject([
        { name: "a", latestVersion: 1 },
      ]);

      // Registering the archived content again makes a fresh version: latest (v1) differs.
      const again = await service.registerEnvironment({
        workspace,
        name: "a",
        definition: definitionWith(["y"]),
      });
      expect(again.version).toMatchObject({ version: 3, archived: false, labels: ["latest"] });

      await service.restore({ workspace, name: "a", version: 2 });
      expect(
        (await service.listVersions({ workspace, name: "a" })).items.map((v) => v.version),
      ).toEqual([3, 2, 1]);
    });

    it("archives a whole environment, creates later versions archived, and restores it", async () => {
      const workspace = await freshWorkspace();
      await service.registerEnvironment({
        workspace,
        name: "gone",
        definition: definitionWith(["x"]),
      });
      await service.registerEnvironment({
        workspace,
        name: "kept",
        definition: definitionWith(["x"]),
      });
      await service.archive({ workspace, name: "gone" });
      await service.archive({ workspace, name: "gone" });
      expect((await service.listEnvironments({ workspace })).items.map((e) => e.name)).toEqual([
        "kept",
      ]);
      expect(
        (await service.listEnvironments({ workspace, includeArchived: true })).items.map((e) => [
          e.name,
          e.archived,
        ]),
      ).toEqual([
        ["gone", true],
        ["kept", false],
      ]);
      const noLatest = await rejects(() =>
        service.getEnvironmentVersion({ workspace, name: "gone" }),
      );
      expect(String(noLatest)).toContain(
        `environment "gone" in workspace "${workspace}" has no unarchived version, so no latest`,
      );
      expect(
        (await service.getEnvironmentVersion({ workspace, name: "gone", version: 1 })).archived,
      ).toBe(true);

      const later = await service.registerEnvironment({
        workspace,
        name: "gone",
        definition: definitionWith(["y"]),
      });
      expect(later.version).toMatchObject({ version: 2, archived: true });
      const same = await service.registerEnvironment({
        workspace,
        name: "gone",
        definition: definitionWith(["y"]),
      });
      expect(same).toMatchObject({ created: false, version: { version: 2 } });

      await service.restore({ workspace, name: "gone" });
      expect((await service.getEnvironmentVersion({ workspace, name: "gone" })).version).toBe(2);
      expect((await service.listEnvironments({ workspace })).items.map((e) => e.name)).toEqual([
        "gone",
        "kept",
      ]);
    });

    it("restoring one version brings its environment back", async () => {
      const workspace = await freshWorkspace();
      await service.registerEnvironment({
        workspace,
        name: "e",
        definition: definitionWith(["x"]),
      });
      await service.registerEnvironment({
        workspace,
        name: "e",
        definition: definitionWith(["y"]),
      });
      await service.archive({ workspace, name: "e" });
      await service.restore({ workspace, name: "e", version: 1 });
      expect((await service.listEnvironments({ workspace })).items).toMatchObject([
        { name: "e", archived: false, latestVersion: 1 },
      ]);
    });
  });

  describe("curated environments", () => {
    it("lists them read-only and reserves their prefix", async () => {
      const workspace = await freshWorkspace();
      const curated = await service.listCurated({ workspace });
      expect(curated.map((c) => [c.name, c.version, c.curated, c.labels])).toEqual([
        ["envforge-test-minimal", 1, true, ["latest"]],
      ]);
      expect(
        await service.getEnvironmentVersion({ workspace, name: "envforge-test-minimal" }),
      ).toEqual(curated[0]);
      expect(
        await service.getEnvironment({ workspace, name: "envforge-test-minimal" }),
      ).toMatchObject({
        curated: true,
        labels: { latest: 1 },
      });
      expect(
        await rejects(() =>
          service.getEnvironmentVersion({ workspace: "nowhere", name: "envforge-test-minimal" }),
        ),
      ).toBeInstanceOf(NotFoundError);
      expect(await rejects(() => service.listCurated({ workspace: "nowhere" }))).toBeInstanceOf(
        NotFoundError,
      );
      for (const name of ["envforge-mine", "EnvForge-Mine"]) {
        const error = await rejects(() =>
          service.registerEnvironment({ workspace, name, definition: definitionWith([]) }),
        );
        expect(String(error)).toContain(
          `name: the prefix "envforge-" is reserved for curated environments (found "${name}"`,
        );
      }
      const readOnly = await rejects(() =>
        service.setLabel({ workspace, name: "envforge-test-minimal", label: "prod", version: 1 }),
      );
      expect(String(readOnly)).toContain("name: curated environments are read-only");
      expect(
        await rejects(() => service.archive({ workspace, name: "envforge-test-minimal" })),
      ).toBeInstanceOf(ValidationError);
      expect(
        await rejects(() =>
          service.getEnvironmentVersion({ workspace, name: "envforge-test-minimal", version: 2 }),
        ),
      ).toBeInstanceOf(NotFoundError);
    });
  });

  describe("lists", () => {
    it("pages environments by name and versions newest first", async () => {
      const workspace = await freshWorkspace();
      for (const name of ["e", "b", "d", "a", "c"]) {
        await service.registerEnvironment({ workspace, name, definition: definitionWith([]) });
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await service.listEnvironments({
          workspace,
          limit: 2,
          ...(cursor === undefined ? {} : { cursor }),
        });
        seen.push(...page.items.map((e) => e.name));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor !== undefined);
      expect(seen).toEqual(["a", "b", "c", "d", "e"]);
      expect(pages).toBe(3);

      for (const pkg of ["p", "q", "r", "s"]) {
        await service.registerEnvironment({
          workspace,
          name: "a",
          definition: definitionWith([pkg]),
        });
      }
      const first = await service.listVersions({ workspace, name: "a", limit: 3 });
      expect(first.items.map((v) => v.version)).toEqual([5, 4, 3]);
      const second = await service.listVersions({
        workspace,
        name: "a",
        limit: 3,
        cursor: first.nextCursor ?? "",
      });
      expect(second.items.map((v) => v.version)).toEqual([2, 1]);
      expect(second.nextCursor).toBeUndefined();

      const error = await rejects(() =>
        service.listEnvironments({ workspace, cursor: "nonsense" }),
      );
      expect(String(error)).toContain("cursor: not a cursor this list returned");
      expect(await rejects(() => service.listVersions({ workspace, name: "zzz" }))).toBeInstanceOf(
        NotFoundError,
      );
    });

    it("sorts names by code units, the same on both stores", async () => {
      const workspace = await freshWorkspace();
      for (const name of ["b", "B", "a_b", "a", "A", "a.b", "a-b", "1"]) {
        await service.registerEnvironment({ workspace, name, definition: definitionWith([]) });
      }
      expect((await service.listEnvironments({ workspace })).items.map((e) => e.name)).toEqual([
        "1",
        "A",
        "B",
        "a",
        "a-b",
        "a.b",
        "a_b",
        "b",
      ]);
    });
  });

  describe("API tokens", () => {
    it("shows the secret once, stores only its hash, verifies and revokes", async () => {
      const workspace = await freshWorkspace();
      const { token, secret } = await service.createToken({
        workspace,
        name: "ci",
        scopes: ["write", "read"],
      });
      expect(secret).toMatch(/^efk_[A-Za-z0-9_-]{43}$/);
      expect(token).toEqual({
        id: expect.stringMatching(/^token-/),
        workspace,
        name: "ci",
        scopes: ["read", "write"],
        createdAt: expect.any(String),
      });
      const stored = await store.read((tx) => tx.listTokens(workspace));
      expect(JSON.stringify(stored)).not.toContain(secret.slice(4));
      expect(stored[0]?.tokenHash).toBe(hashSecret(secret));

      expect(await service.verifyToken(secret)).toEqual({
        tokenId: token.id,
        workspace,
        scopes: ["read", "write"],
      });
      expect(await service.listTokens({ workspace })).toEqual([token]);

      const wrong = await rejects(() => service.verifyToken(`efk_${"A".repeat(43)}`));
      expect(wrong).toBeInstanceOf(UnauthorizedError);
      expect(String(wrong)).toContain("the API token is not valid");
      expect(await rejects(() => service.verifyToken("not-a-token"))).toBeInstanceOf(
        UnauthorizedError,
      );

      const revoked = await service.revokeToken({ workspace, id: token.id });
      expect(revoked.revokedAt).toEqual(expect.any(String));
      const refused = await rejects(() => service.verifyToken(secret));
      expect(String(refused)).toContain(`the API token was revoked at ${revoked.revokedAt}`);
      expect(String(refused)).not.toContain('"ci"');
      expect(
        await rejects(() => service.revokeToken({ workspace: "default", id: token.id })),
      ).toBeInstanceOf(NotFoundError);
    });

    it("refuses tokens without valid scopes", async () => {
      const workspace = await freshWorkspace();
      const error = await rejects(() => service.createToken({ workspace, name: "x", scopes: [] }));
      expect(String(error)).toContain("scopes: no scopes given");
    });
  });

  it("keeps everything across a reopen and does not migrate twice", async () => {
    const workspace = await freshWorkspace();
    await service.registerEnvironment({
      workspace,
      name: "persist",
      definition: definitionWith(["x"]),
    });
    const second = await harness.open();
    try {
      const other = createEnvironmentService({ store: second });
      expect((await other.getEnvironmentVersion({ workspace, name: "persist" })).version).toBe(1);
    } finally {
      await second.close();
    }
  });
});
