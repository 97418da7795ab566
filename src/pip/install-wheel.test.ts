/**
 * envforge's wheel installer on real wheels (Debian's pip, setuptools and wheel) and on wheels
 * built here (console and gui scripts, `.data` schemes, a namespace package split over two
 * wheels, a platform-tagged wheel), then checked by running the host's python on the result.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import { WHEELS_DIR, pipIndexProblem } from "../../test/support/pip-index.js";
import { buildWheel } from "../../test/support/wheels.js";
import type { WheelSpec } from "../../test/support/wheels.js";
import { installWheel } from "./install-wheel.js";
import type { WheelScheme } from "./install-wheel.js";

const run = promisify(execFile);
const PREFIX = "/opt/envforge/env";
const SITE = `${PREFIX}/lib/python3.11/site-packages`;
const INTERPRETER = `${PREFIX}/bin/python`;
// platlib apart from purelib, so a test sees which one a file went to.
const SCHEME: WheelScheme = {
  purelib: SITE,
  platlib: `${PREFIX}/lib64/python3.11/site-packages`,
  scripts: `${PREFIX}/bin`,
  data: PREFIX,
  headers: `${PREFIX}/include/python3.11`,
};
const wheelsMissing = await pipIndexProblem();
const HOST_PYTHON = "/usr/bin/python3";

let dir: string;
let root: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-wheel-"));
  root = join(dir, "root");
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function install(spec: WheelSpec, scheme: WheelScheme = SCHEME) {
  const built = buildWheel(spec);
  const path = join(dir, built.file);
  await writeFile(path, built.bytes);
  return installWheel({
    wheelPath: path,
    label: built.file,
    root,
    scheme: { ...scheme, headers: `${scheme.headers}/${spec.name}` },
    interpreter: INTERPRETER,
  });
}

/** Runs the host's python on the installed tree (site-packages on PYTHONPATH). */
async function python(args: readonly string[]): Promise<string> {
  const { stdout } = await run(HOST_PYTHON, [...args], {
    env: {
      PATH: "/usr/bin:/bin",
      PYTHONPATH: [join(root, SITE), join(root, SCHEME.platlib)].join(":"),
      PYTHONDONTWRITEBYTECODE: "1",
    },
  });
  return stdout;
}

/** Every RECORD row with a hash matches the installed file. */
async function checkRecord(distInfo: string): Promise<string[]> {
  const record = await readFile(join(root, SITE, distInfo, "RECORD"), "utf8");
  const paths: string[] = [];
  for (const line of record.trim().split("\n")) {
    const [path = "", hash = "", size = ""] = line.split(",");
    paths.push(path);
    if (hash === "") continue;
    const bytes = await readFile(join(root, SITE, path));
    expect(`sha256=${createHash("sha256").update(bytes).digest("base64url")}`, path).toBe(hash);
    expect(String(bytes.length), path).toBe(size);
  }
  return paths;
}

describe.skipIf(wheelsMissing !== undefined)("installWheel on Debian's real wheels", () => {
  it("installs wheel 0.38.4, setuptools and pip so that they import and their scripts run", async () => {
    const files = (await readdir(WHEELS_DIR)).filter((f) => f.endsWith(".whl")).sort();
    const installed = [];
    for (const file of files) {
      installed.push(
        await installWheel({
          wheelPath: join(WHEELS_DIR, file),
          label: file,
          root,
          scheme: SCHEME,
          interpreter: INTERPRETER,
        }),
      );
    }
    expect(installed.map((w) => `${w.name} ${w.version}`)).toEqual([
      "pip 23.0.1",
      "setuptools 66.1.1",
      "wheel 0.38.4",
    ]);
    expect(installed.find((w) => w.name === "wheel")?.scripts).toEqual(["wheel"]);
    expect(installed.find((w) => w.name === "pip")?.scripts).toEqual(
      expect.arrayContaining(["pip", "pip3"]),
    );
    const record = await checkRecord("wheel-0.38.4.dist-info");
    expect(record).toEqual(
      expect.arrayContaining([
        "wheel/__init__.py",
        "../../../bin/wheel",
        "wheel-0.38.4.dist-info/INSTALLER",
        "wheel-0.38.4.dist-info/RECORD",
      ]),
    );
    expect(await readFile(join(root, SITE, "wheel-0.38.4.dist-info/INSTALLER"), "utf8")).toBe(
      "envforge\n",
    );
    const script = await readFile(join(root, PREFIX, "bin/wheel"), "utf8");
    expect(script.split("\n")[0]).toBe(`#!${INTERPRETER}`);
    expect((await stat(join(root, PREFIX, "bin/wheel"))).mode & 0o777).toBe(0o755);
    expect(
      await python([
        "-c",
        "import wheel, setuptools, pip; print(wheel.__version__, pip.__version__)",
      ]),
    ).toBe("0.38.4 23.0.1\n");
    // The generated launcher, run by the host's python in place of the image's.
    expect(await python([join(root, PREFIX, "bin/wheel"), "version"])).toBe("wheel 0.38.4\n");
  });
});

describe("installWheel on wheels built here", () => {
  it("writes console and gui scripts, .data schemes and a #!python script for the target", async () => {
    const installed = await install({
      name: "tool-kit",
      version: "1.0",
      files: {
        "tool_kit/__init__.py": "def main():\n    print('tool-kit says hi')\n    return 0\n",
        "tool_kit/gui.py": "class App:\n    @staticmethod\n    def run():\n        print('gui')\n",
      },
      consoleScripts: { "tool-kit": "tool_kit:main" },
      guiScripts: { "tool-kit-gui": "tool_kit.gui:App.run" },
      data: {
        scripts: { "tk-shell": "#!python\nimport tool_kit\ntool_kit.main()\n" },
        data: { "share/tool-kit/notes.txt": "notes\n" },
        headers: { "tool_kit.h": "#define TOOL_KIT 1\n" },
        purelib: { "tool_kit_extra.py": "EXTRA = 1\n" },
        platlib: { "tool_kit_native.py": "NATIVE = 1\n" },
      },
    });
    expect(installed.scripts).toEqual(["tool-kit", "tool-kit-gui"]);
    expect(installed.files).toEqual([
      `${PREFIX}/bin/tk-shell`,
      `${PREFIX}/bin/tool-kit`,
      `${PREFIX}/bin/tool-kit-gui`,
      `${PREFIX}/include/python3.11/tool-kit/tool_kit.h`,
      `${SITE}/tool_kit-1.0.dist-info/INSTALLER`,
      `${SITE}/tool_kit-1.0.dist-info/METADATA`,
      `${SITE}/tool_kit-1.0.dist-info/RECORD`,
      `${SITE}/tool_kit-1.0.dist-info/WHEEL`,
      `${SITE}/tool_kit-1.0.dist-info/entry_points.txt`,
      `${SITE}/tool_kit/__init__.py`,
      `${SITE}/tool_kit/gui.py`,
      `${SITE}/tool_kit_extra.py`,
      `${SCHEME.platlib}/tool_kit_native.py`,
      `${PREFIX}/share/tool-kit/notes.txt`,
    ]);
    const shell = await readFile(join(root, PREFIX, "bin/tk-shell"), "utf8");
    expect(shell).toBe(`#!${INTERPRETER}\nimport tool_kit\ntool_kit.main()\n`);
    await checkRecord("tool_kit-1.0.dist-info");
    expect(await python([join(root, PREFIX, "bin/tool-kit")])).toBe("tool-kit says hi\n");
    expect(await python([join(root, PREFIX, "bin/tool-kit-gui")])).toBe("gui\n");
    expect(await python([join(root, PREFIX, "bin/tk-shell")])).toBe("tool-kit says hi\n");
    expect(
      await python(["-c", "import tool_kit_extra, tool_kit_native; print(tool_kit_extra.EXTRA)"]),
    ).toBe("1\n");
  });

  it("installs a namespace package from two wheels and a platform wheel into platlib", async () => {
    await install({ name: "ns-a", version: "1.0", files: { "space/a/__init__.py": "A = 'a'\n" } });
    await install({ name: "ns-b", version: "2.0", files: { "space/b/__init__.py": "B = 'b'\n" } });
    await install({
      name: "native",
      version: "1.0",
      tag: "cp311-cp311-manylinux_2_17_x86_64",
      files: { "native/__init__.py": "KIND = 'platform'\n" },
    });
    expect(await python(["-c", "import space.a, space.b; print(space.a.A + space.b.B)"])).toBe(
      "ab\n",
    );
    const record = await readFile(
      join(root, SCHEME.platlib, "native-1.0.dist-info/RECORD"),
      "utf8",
    );
    expect(record).toContain("native/__init__.py,sha256=");
    expect(await python(["-c", "import native; print(native.KIND)"])).toBe("platform\n");
  });

  it.each<[string, Partial<WheelSpec>, RegExp]>([
    [
      "a file whose bytes do not match RECORD",
      { editRecord: (record) => record.replace(/(mod\.py,sha256=)./, "$1X") },
      /wheel bad-1\.0-py3-none-any\.whl: mod\.py does not match its RECORD hash/,
    ],
    [
      "a path that leaves its folder",
      { rawEntries: { "../escape.py": "x = 1\n" } },
      /wheel bad-1\.0-py3-none-any\.whl: is not a valid wheel archive: invalid relative path: \.\.\/escape\.py/,
    ],
    [
      "a file RECORD does not list",
      { rawEntries: { "extra.py": "x = 1\n" } },
      /has a file RECORD does not list.*extra\.py/s,
    ],
  ])("refuses %s", async (_title, spec, message) => {
    const result = install({
      name: "bad",
      version: "1.0",
      files: { "mod.py": "x = 1\n" },
      ...spec,
    });
    await expect(result).rejects.toBeInstanceOf(ValidationError);
    await expect(result).rejects.toThrow(message);
  });
});
