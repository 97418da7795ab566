import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "../..");

/**
 * The layering check of `npm run layers`, run on a small tree that breaks each rule once: it
 * must name every violation, so the check in `npm test` is known to bite.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-layers-"));
  const files: Record<string, string> = {
    "src/errors/errors.ts": "export const e = 1;\n",
    "src/definition/upward.ts": 'import { c } from "../cli/command.js";\nexport const s = c;\n',
    "src/definition/reads-disk.ts":
      'import { readFileSync } from "node:fs";\nexport const r = readFileSync;\n',
    "src/conda/engine.ts": 'import { w } from "../workspace/service.js";\nexport const x = w;\n',
    "src/workspace/service.ts": "export const w = 1;\n",
    "src/cli/command.ts": 'import { e } from "../errors/errors.js";\nexport const c = e;\n',
    "src/recipe/fine.ts": 'import { e } from "../errors/errors.js";\nexport const f = e;\n',
    "tsconfig.json": JSON.stringify({
      compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true },
      include: ["src"],
    }),
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("layering check", () => {
  it("names every upward import and I/O in the pure core", async () => {
    const depcruise = join(repo, "node_modules/.bin/depcruise");
    const failure = await run(
      depcruise,
      ["src", "--config", join(repo, ".dependency-cruiser.cjs")],
      {
        cwd: dir,
      },
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    // depcruise exits non-zero on violations; execFile's error carries what it printed.
    const output =
      typeof failure === "object" && failure !== null && "stdout" in failure
        ? String(failure.stdout)
        : "";
    expect(output).not.toBe("");
    expect(output).toContain(
      "no-upward-from-definition: src/definition/upward.ts → src/cli/command.ts",
    );
    expect(output).toContain("pure-core-no-io: src/definition/reads-disk.ts → fs");
    expect(output).toMatch(
      /no-upward-from-host-image-conda-pip: src\/conda\/engine\.ts → src\/workspace\/service\.ts/,
    );
    expect(output).not.toContain("src/recipe/fine.ts →");
    expect(output).not.toContain("src/cli/command.ts →");
  });
});
