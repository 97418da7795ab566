/**
 * Issue 13, point 5, end to end on the real engine: a definition whose pip index URL carries a
 * login is registered in a real store (which keeps the URL without it), built by a worker that
 * takes the build from the store, and pip still authenticates to the loopback index that
 * demands the login. The store's definition, the version answer and the build log hold no
 * password.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inProcessQueue } from "../../src/builders/queue/in-process-queue.js";
import { startWorkerHost } from "../../src/builders/worker-host.js";
import { createBuildService } from "../../src/workspace/build-api.js";
import type { Build } from "../../src/workspace/build-api.js";
import { createEnvironmentService, NO_CURATED } from "../../src/workspace/index.js";
import type { WorkspaceStore } from "../../src/workspace/index.js";
import { openSqliteStore } from "../../src/workspace/open-store-driver.js";
import { engineGate } from "../support/docker.js";
import { pipIndexProblem, startPipIndex } from "../support/pip-index.js";
import type { PipIndex } from "../support/pip-index.js";
import {
  ensurePythonImage,
  PYTHON_IMAGE_REPOSITORY,
  pythonImageTag,
} from "../support/python-image.js";
import { PLAIN_REGISTRY } from "../support/registry.js";
import { gate, imageDefinition, openHarness, shell } from "./harness.js";
import type { Harness } from "./harness.js";

const wheels = engineGate("pip index", await pipIndexProblem());
const skip = gate.skip || wheels.skip;
const LOGIN = { user: "builder", password: "st0red-apart-pa55word" };

let harness: Harness;
let index: PipIndex;
let store: WorkspaceStore;
let dir: string;

beforeAll(async () => {
  if (skip) return;
  gate.require();
  wheels.require();
  harness = await openHarness();
  index = await startPipIndex({ login: LOGIN });
  await ensurePythonImage();
  dir = mkdtempSync(join(tmpdir(), "envforge-stored-credentials-"));
  store = await openSqliteStore({ path: join(dir, "envforge.db"), clock: () => new Date() });
}, 600_000);

afterAll(async () => {
  await store?.close();
  await harness?.cleanup();
  await index?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skip)("pip index credentials kept apart from the definition", () => {
  it("still reach pip through the build's claim", async () => {
    const service = createEnvironmentService({ store, curated: NO_CURATED });
    const registered = await service.registerEnvironment({
      name: "private-index",
      definition: imageDefinition({
        base: {
          kind: "image",
          image: {
            registry: PLAIN_REGISTRY,
            repository: PYTHON_IMAGE_REPOSITORY,
            tag: pythonImageTag(),
          },
          defaulted: false,
        },
        pip: {
          requirements: [{ name: "wheel", requirement: "wheel==0.38.4", hashes: [] }],
          constraints: [],
          indexUrl: `http://${LOGIN.user}:${LOGIN.password}@127.0.0.1:${index.port}/simple`,
          extraIndexUrls: [],
          findLinks: [],
          pre: false,
        },
        python: { userManagedDependencies: true, interpreterPath: "python3" },
      }),
    });
    expect(JSON.stringify(registered)).not.toContain(LOGIN.password);
    expect(registered.version.definition.pip?.indexUrl).toBe(
      `http://127.0.0.1:${index.port}/simple`,
    );
    const stored = await store.read((tx) =>
      tx.getVersion({ workspace: "default", name: "private-index", version: 1 }),
    );
    expect(stored?.definitionJson).not.toContain(LOGIN.password);

    const builds = createBuildService({ store, versions: service });
    const queue = inProcessQueue();
    const stop = new AbortController();
    const host = await startWorkerHost({
      store,
      queue,
      builder: harness.builder,
      signal: stop.signal,
      pollMs: 100,
    });
    try {
      const { build } = await builds.requestBuild({
        name: "private-index",
        registry: harness.registry,
      });
      await queue.notify(build.id);
      let last: Build | undefined;
      for await (const event of builds.followBuild({ id: build.id })) {
        if (event.kind === "state") last = event.build;
        else expect(event.chunk.text).not.toContain(LOGIN.password);
      }
      expect(last?.state, last?.reason ?? "").toBe("succeeded");
      const image = `${last?.image.name ?? ""}:latest`;
      harness.track({
        imageName: last?.image.name ?? "",
        digest: last?.image.digest ?? "",
        cacheHit: false,
        pushedBlobs: 0,
        durationMs: 0,
      });
      expect(await shell(image, 'python3 -c "import wheel; print(wheel.__version__)"')).toBe(
        "0.38.4\n",
      );
      // pip fetched through the login: the index answered 200 to the project page and the wheel.
      expect(index.requests.filter((r) => r.status === 200).map((r) => r.path)).toEqual(
        expect.arrayContaining(["/simple/wheel/", "/files/wheel-0.38.4-py3-none-any.whl"]),
      );
    } finally {
      stop.abort();
      await host.done;
      await queue.close();
    }
  }, 600_000);
});
