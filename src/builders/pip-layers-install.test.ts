/**
 * The pip layers of a build from a loopback index that needs a login: every locked wheel is
 * downloaded with the definition's credentials (never the lock's URL, which has none), checked
 * against its sha256 and installed into its layer's tree; a second build reuses the installed
 * tree of an unchanged wheel and installs only the changed one.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Definition } from "../definition/definition.js";
import type { LockedPipPackage } from "../definition/lock.js";
import { ExternalError } from "../errors/index.js";
import { condaPipScheme } from "../recipe/pip-layers.js";
import type { PipLayer } from "../recipe/index.js";
import { startPipIndex } from "../../test/support/pip-index.js";
import type { PipIndex } from "../../test/support/pip-index.js";
import { buildWheel } from "../../test/support/wheels.js";
import { installPipLayers } from "./pip-layers-install.js";

const LOGIN = { user: "reader", password: "wheel-pa55" };
const WHEELS = [
  buildWheel({ name: "one", version: "1.0", files: { "one.py": "V = 1\n" } }),
  buildWheel({ name: "one", version: "2.0", files: { "one.py": "V = 2\n" } }),
  buildWheel({
    name: "two",
    version: "1.0",
    files: { "two.py": "def main():\n    pass\n" },
    consoleScripts: { two: "two:main" },
  }),
];
const SCHEME = condaPipScheme("/opt/envforge/env", "3.11");

let index: PipIndex;
let dir: string;
beforeAll(async () => {
  index = await startPipIndex({ login: LOGIN, debianWheels: false, files: WHEELS });
  dir = await mkdtemp(join(tmpdir(), "envforge-pip-layers-"));
});
afterAll(async () => {
  await index?.close();
  await rm(dir, { recursive: true, force: true });
});

function locked(file: string, sha256?: string): LockedPipPackage {
  const wheel = WHEELS.find((w) => w.file === file);
  const [name = "", version = ""] = file.split("-");
  return {
    name,
    version,
    url: `http://127.0.0.1:${index.port}/files/${file}`,
    sha256:
      sha256 ??
      createHash("sha256")
        .update(wheel?.bytes ?? "")
        .digest("hex"),
    filename: file,
  };
}

function layers(...packages: LockedPipPackage[]): PipLayer[] {
  return packages.map((p) => ({
    name: p.name,
    directory: `envforge/pip/${p.name}/`,
    packages: [p],
  }));
}

function definitionWithIndex(): Definition {
  return {
    kind: "envforge",
    tags: {},
    base: { kind: "image", image: { repository: "base" }, defaulted: false },
    pip: {
      requirements: [],
      constraints: [],
      indexUrl: `http://${LOGIN.user}:${LOGIN.password}@127.0.0.1:${index.port}/simple`,
      extraIndexUrls: [],
      findLinks: [],
      pre: false,
    },
    apt: [],
    variables: {},
    platform: "linux-64",
    python: { userManagedDependencies: false, interpreterPath: "python" },
  };
}

describe("installPipLayers", () => {
  it("downloads with the definition's login, installs each layer, and reuses unchanged trees", async () => {
    const cacheDir = join(dir, "cache");
    const first = await installPipLayers({
      definition: definitionWithIndex(),
      layers: layers(locked("one-1.0-py3-none-any.whl"), locked("two-1.0-py3-none-any.whl")),
      scheme: SCHEME,
      cacheDir,
      workDir: join(dir, "work-1"),
    });
    expect(first.wheels.map((w) => `${w.name} ${w.version}`)).toEqual(["one 1.0", "two 1.0"]);
    const one = first.folders.get("one") ?? "";
    expect(await readFile(join(one, SCHEME.purelib, "one.py"), "utf8")).toBe("V = 1\n");
    expect(
      (await readFile(join(first.folders.get("two") ?? "", SCHEME.scripts, "two"), "utf8")).split(
        "\n",
      )[0],
    ).toBe("#!/opt/envforge/env/bin/python");
    const downloads = index.requests.filter((r) => r.path.startsWith("/files/"));
    expect(downloads.map((r) => r.status)).toEqual([200, 200]);

    const second = await installPipLayers({
      definition: definitionWithIndex(),
      layers: layers(locked("one-2.0-py3-none-any.whl"), locked("two-1.0-py3-none-any.whl")),
      scheme: SCHEME,
      cacheDir,
      workDir: join(dir, "work-2"),
    });
    // two's tree is the one installed before; one 2.0 is new, in a tree of its own.
    expect(second.folders.get("two")).toBe(first.folders.get("two"));
    expect(second.folders.get("one")).not.toBe(one);
    expect(
      await readFile(join(second.folders.get("one") ?? "", SCHEME.purelib, "one.py"), "utf8"),
    ).toBe("V = 2\n");
    // Only one 2.0 was fetched: two 1.0's wheel came from the cache. The first build downloads
    // its two wheels at once, so their requests may arrive in either order.
    const fetched = index.requests.filter((r) => r.path.startsWith("/files/")).map((r) => r.path);
    expect([...fetched.slice(0, 2)].sort()).toEqual([
      "/files/one-1.0-py3-none-any.whl",
      "/files/two-1.0-py3-none-any.whl",
    ]);
    expect(fetched.slice(2)).toEqual(["/files/one-2.0-py3-none-any.whl"]);
  });

  it("refuses a wheel whose bytes are not the lock's, installing nothing", async () => {
    const result = installPipLayers({
      definition: definitionWithIndex(),
      layers: layers(locked("one-1.0-py3-none-any.whl", "0".repeat(64))),
      scheme: SCHEME,
      cacheDir: join(dir, "cache-bad"),
      workDir: join(dir, "work-bad"),
    });
    await expect(result).rejects.toBeInstanceOf(ExternalError);
    await expect(result).rejects.toThrow(/one-1\.0-py3-none-any\.whl/);
  });
});
