/**
 * Console scripts of `noarch: python` packages (info/link.json `entry_points`), written as small
 * Python scripts in `bin/`, as conda's create_python_entry_point and rattler's entry_point.rs do.
 */
import { ExternalError } from "../errors/index.js";
import type { PythonInfo } from "./noarch-python.js";
import { MAX_SHEBANG_LENGTH } from "./prefix-replace.js";

export interface EntryPoint {
  readonly command: string;
  readonly module: string;
  readonly func: string;
}

const IDENTIFIER_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** `"hello = hello.cli:main"` → `{ command: "hello", module: "hello.cli", func: "main" }`. */
export function parseEntryPoint(text: string, label: string): EntryPoint {
  const match = /^\s*([^=\s]+)\s*=\s*([^:\s]+)\s*:\s*([^\s[]+)\s*(\[.*\])?\s*$/.exec(text);
  const command = match?.[1] ?? "";
  const module = match?.[2] ?? "";
  const func = match?.[3] ?? "";
  const valid =
    match !== null &&
    /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(command) &&
    IDENTIFIER_PATH.test(module) &&
    IDENTIFIER_PATH.test(func);
  if (!valid) {
    throw new ExternalError(
      `${label}: info/link.json: entry point ${JSON.stringify(text)} is not "command = module:function"`,
    );
  }
  return { command, module, func };
}

/**
 * `#!<prefix>/bin/python3.X`, or, when that is longer than the kernel reads or has a space, the
 * `/bin/sh` trampoline conda and rattler use, which execs the same python on the same script.
 */
export function pythonShebang(targetPrefix: string, python: PythonInfo): string {
  const interpreter = `${targetPrefix.replace(/\/+$/, "")}/${python.executable}`;
  const line = `#!${interpreter}`;
  if (Buffer.byteLength(line) > MAX_SHEBANG_LENGTH || interpreter.includes(" ")) {
    return `#!/bin/sh\n'''exec' "${interpreter}" "$0" "$@" #'''`;
  }
  return line;
}

export function entryPointScript(options: {
  readonly entryPoint: EntryPoint;
  readonly targetPrefix: string;
  readonly python: PythonInfo;
}): string {
  const { module, func } = options.entryPoint;
  const importName = func.split(".")[0] ?? func;
  return [
    pythonShebang(options.targetPrefix, options.python),
    "# -*- coding: utf-8 -*-",
    "import re",
    "import sys",
    "",
    `from ${module} import ${importName}`,
    "",
    "if __name__ == '__main__':",
    "    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])",
    `    sys.exit(${func}())`,
    "",
  ].join("\n");
}
