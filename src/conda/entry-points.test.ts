import { describe, expect, it } from "vitest";
import { entryPointScript, parseEntryPoint, pythonShebang } from "./entry-points.js";
import { noarchPythonTargetPath, pythonInfoOf } from "./noarch-python.js";

const python = pythonInfoOf("3.11.4");

describe("noarch python paths", () => {
  it.each([
    ["site-packages/pkg/__init__.py", "lib/python3.11/site-packages/pkg/__init__.py"],
    ["python-scripts/tool", "bin/tool"],
    ["share/doc.txt", "share/doc.txt"],
  ])("%s goes to %s", (from, to) => expect(noarchPythonTargetPath(from, python)).toBe(to));

  it("refuses a python version without major.minor", () => {
    expect(() => pythonInfoOf("3")).toThrow(
      "python: the python package's version has no major.minor part",
    );
  });
});

describe("entry points", () => {
  it("parses `command = module:function`", () => {
    expect(parseEntryPoint("jupyter-lab = jupyterlab.labapp:main", "pkg")).toEqual({
      command: "jupyter-lab",
      module: "jupyterlab.labapp",
      func: "main",
    });
  });

  it.each(["no-equals", "x = mod", ".. = a:b", "x = a b:c"])("refuses %j", (text) => {
    expect(() => parseEntryPoint(text, "pkg-1-0")).toThrow(
      `pkg-1-0: info/link.json: entry point ${JSON.stringify(text)} is not "command = module:function"`,
    );
  });

  it("writes the script conda writes", () => {
    const script = entryPointScript({
      entryPoint: { command: "lab", module: "jupyterlab.labapp", func: "main" },
      targetPrefix: "/prefix",
      python,
    });
    expect(script).toBe(
      [
        "#!/prefix/bin/python3.11",
        "# -*- coding: utf-8 -*-",
        "import re",
        "import sys",
        "",
        "from jupyterlab.labapp import main",
        "",
        "if __name__ == '__main__':",
        "    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])",
        "    sys.exit(main())",
        "",
      ].join("\n"),
    );
  });

  it("uses the /bin/sh trampoline when the shebang would be too long or has a space", () => {
    const long = `/${"p".repeat(120)}`;
    expect(pythonShebang(long, python)).toBe(
      `#!/bin/sh\n'''exec' "${long}/bin/python3.11" "$0" "$@" #'''`,
    );
    expect(pythonShebang("/my env", python)).toBe(
      `#!/bin/sh\n'''exec' "/my env/bin/python3.11" "$0" "$@" #'''`,
    );
    expect(pythonShebang(`/${"p".repeat(100)}`, python)).toBe(
      `#!/${"p".repeat(100)}/bin/python3.11`,
    );
  });
});
