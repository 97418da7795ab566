/**
 * pip on the real engine: a definition on a python base image installs wheel 0.38.4 (Debian's
 * real wheel) from a loopback PEP 503 index that requires a login. The credentials reach pip only
 * through the BuildKit netrc secret that envforge's session serves; the image, its history and
 * the build log never hold the password.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { definitionHash } from "../../src/definition/definition-hash.js";
import { docker as dockerClientOfHarness, run, DOCKER_CLI } from "./harness.js";
import { engineGate } from "../support/docker.js";
import { pipIndexProblem, startPipIndex } from "../support/pip-index.js";
import type { PipIndex } from "../support/pip-index.js";
import {
  ensurePythonImage,
  PYTHON_IMAGE_REPOSITORY,
  pythonImageTag,
} from "../support/python-image.js";
import { PLAIN_REGISTRY } from "../support/registry.js";
import { gate, imageDefinition, logCollector, openHarness, shell } from "./harness.js";
import type { Harness } from "./harness.js";

const wheels = engineGate("pip index", await pipIndexProblem());
const skip = gate.skip || wheels.skip;
const LOGIN = { user: "builder", password: "s3cret-index-pa55word" };

let harness: Harness;
let index: PipIndex;

beforeAll(async () => {
  if (skip) return;
  gate.require();
  wheels.require();
  harness = await openHarness();
  index = await startPipIndex({ login: LOGIN });
  // The first run on a machine installs python3 with apt (about a minute); later runs find it.
  await ensurePythonImage();
}, 600_000);

afterAll(async () => {
  await harness?.cleanup();
  await index?.close();
});

describe.skipIf(skip)("pip requirements on the Docker engine", () => {
  it("installs wheel 0.38.4 from an index that needs a login, keeping the password out of the image and the log", async () => {
    const definition = imageDefinition({
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
    });
    const log = logCollector();
    const outcome = harness.track(
      await harness.builder.build({
        definition,
        definitionHash: definitionHash(definition),
        registry: harness.registry,
        onLog: log.onLog,
      }),
    );
    const image = `${outcome.imageName}:latest`;
    expect(
      await shell(
        image,
        'python3 -c "import wheel; print(wheel.__version__)"; test ! -e /root/.netrc && echo no-netrc',
      ),
    ).toBe("0.38.4\nno-netrc\n");
    // pip fetched through the login: the project page and the wheel answered 200.
    expect(index.requests.filter((r) => r.status === 200).map((r) => r.path)).toEqual(
      expect.arrayContaining(["/simple/wheel/", "/files/wheel-0.38.4-py3-none-any.whl"]),
    );
    expect(JSON.stringify(log.lines)).not.toContain(LOGIN.password);
    const { stdout: history } = await run(DOCKER_CLI, ["history", "--no-trunc", image]);
    expect(history).not.toContain(LOGIN.password);
    expect(JSON.stringify(await dockerClientOfHarness.getImage(image).inspect())).not.toContain(
      LOGIN.password,
    );
    expect(
      await shell(image, `grep -rl "${LOGIN.password}" /opt /root /etc 2>/dev/null | wc -l`),
    ).toBe("0\n");
  });
});
