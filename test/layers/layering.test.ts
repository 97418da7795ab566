import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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
    // The surfaces and client/: the CLI and the SDK go through client/, never api/'s inside.
    "src/api/app.ts": "export const app = 1;\n",
    "src/api/serve.ts": 'import { app } from "./app.js";\nexport const serve = app;\n',
    "src/api/schemas.ts": "export const schema = 1;\n",
    "src/client/http.ts": 'import { schema } from "../api/schemas.js";\nexport const h = schema;\n',
    "src/client/reaches-app.ts": 'import { app } from "../api/app.js";\nexport const r = app;\n',
    "src/cli/uses-api.ts": 'import { app } from "../api/app.js";\nexport const u = app;\n',
    "src/cli/serve.ts": 'import { serve } from "../api/serve.js";\nexport const s = serve;\n',
    "src/cli/fine-client.ts": 'import { h } from "../client/http.js";\nexport const f = h;\n',
    "src/sdk/uses-cli.ts": 'import { c } from "../cli/command.js";\nexport const s = c;\n',
    "src/sdk/uses-api.ts":
      'import { schema } from "../api/schemas.js";\nexport const s = schema;\n',
    // workspace/ takes settings from the composition root: no readConfig, no process.env.
    "src/host/config.ts": "export const readConfig = (): number => 1;\n",
    "src/workspace/reads-config.ts":
      'import { readConfig } from "../host/config.js";\nexport const r = readConfig();\n',
    "src/workspace/reads-env.ts": "export const home = process.env.ENVFORGE_HOME;\n",
    "src/workspace/names-env.ts":
      "// not process.env: a comment may name it\n/* process.env */ export const name = 1;\n",
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

  it("names a surface reaching into api/ or another surface, and client/ reaching above the wire schemas", async () => {
    const output = await failureOutput(depcruise, [
      "src",
      "--config",
      join(repo, ".dependency-cruiser.cjs"),
    ]);
    expect(output).toContain("surfaces-apart-cli: src/cli/uses-api.ts → src/api/app.ts");
    expect(output).toContain("surfaces-apart-sdk: src/sdk/uses-cli.ts → src/cli/command.ts");
    expect(output).toContain("surfaces-apart-sdk: src/sdk/uses-api.ts → src/api/schemas.ts");
    expect(output).toContain("no-upward-from-client: src/client/reaches-app.ts → src/api/app.ts");
    expect(output).not.toContain("src/cli/serve.ts →");
    expect(output).not.toContain("src/cli/fine-client.ts →");
    expect(output).not.toContain("src/client/http.ts →");
  });

  it("names workspace/ reading the configuration or the environment", async () => {
    const cruised = await failureOutput(depcruise, [
      "src",
      "--config",
      join(repo, ".dependency-cruiser.cjs"),
    ]);
    expect(cruised).toContain(
      "workspace-reads-no-environment: src/workspace/reads-config.ts → src/host/config.ts",
    );
    const scanned = await failureOutput(process.execPath, [ENV_CHECK, "src/workspace"]);
    expect(scanned).toContain(
      "workspace-reads-no-environment: src/workspace/reads-env.ts:1 reads process.env",
    );
    expect(scanned).not.toContain("names-env.ts");
  });

  it("is what npm run layers runs", async () => {
    const manifest: unknown = JSON.parse(await readFile(join(repo, "package.json"), "utf8"));
    const scripts =
      typeof manifest === "object" && manifest !== null && "scripts" in manifest
        ? manifest.scripts
        : undefined;
    const layers =
      typeof scripts === "object" && scripts !== null && "layers" in scripts
        ? String(scripts.layers)
        : "";
    expect(layers).toMatch(/depcruise src\b.* --config \.dependency-cruiser\.cjs/);
    expect(layers).toContain("node scripts/ci/environment-reads.mjs");
  });
});

const depcruise = join(repo, "node_modules/.bin/depcruise");
const ENV_CHECK = join(repo, "scripts/ci/environment-reads.mjs");

/** What a check printed when it failed (stdout and stderr); "" when it passed. */
async function failureOutput(command: string, args: readonly string[]): Promise<string> {
  const failure = await run(command, args, { cwd: dir }).then(
    () => undefined,
    (error: unknown) => error,
  );
  if (typeof failure !== "object" || failure === null) return "";
  const stdout = "stdout" in failure ? String(failure.stdout) : "";
  const stderr = "stderr" in failure ? String(failure.stderr) : "";
  return `${stdout}${stderr}`;
}
