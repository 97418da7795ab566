import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors/index.js";
import { loadDefinition } from "../../src/host/load-definition.js";
import { walkBuildContext } from "../../src/host/walk-build-context.js";
import { DEFAULT_PARSE_SETTINGS } from "../../src/definition/definition.js";

let root: string;
let context: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "envforge-context-"));
  context = join(root, "ctx");
  await mkdir(context);
});
afterEach(async () => {
  await chmod(context, 0o755).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

async function files(tree: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(tree)) {
    await mkdir(join(context, path, ".."), { recursive: true });
    await writeFile(join(context, path), text);
    // Explicit, so the listing does not depend on the umask of whoever runs the tests.
    await chmod(join(context, path), 0o644);
  }
}

async function problemsOf(run: () => Promise<unknown>): Promise<string[]> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ValidationError) return error.message.split("\n");
    throw error;
  }
  throw new Error("expected a ValidationError");
}

const sha256 = (text: string): string =>
  `sha256:${createHash("sha256").update(text).digest("hex")}`;

describe("walkBuildContext", () => {
  it("lists files sorted with size, mode and sha256, and inside symlinks as links", async () => {
    await files({
      Dockerfile: "FROM debian\nCOPY . /app\n",
      "src/train.py": "print('train')\n",
      "src/util/io.py": "",
      "run.sh": "#!/bin/sh\n",
    });
    await chmod(join(context, "run.sh"), 0o755);
    await symlink("src/train.py", join(context, "main.py"));
    const walked = await walkBuildContext(context);
    expect(walked.dockerfile).toBe("FROM debian\nCOPY . /app\n");
    expect(walked.dockerfilePath).toBe("Dockerfile");
    expect(walked.files).toEqual([
      { path: "Dockerfile", size: 24, sha256: sha256("FROM debian\nCOPY . /app\n"), mode: 0o644 },
      {
        path: "main.py",
        size: 12,
        sha256: sha256("src/train.py"),
        mode: 0o777,
        linkTarget: "src/train.py",
      },
      { path: "run.sh", size: 10, sha256: sha256("#!/bin/sh\n"), mode: 0o755 },
      { path: "src/train.py", size: 15, sha256: sha256("print('train')\n"), mode: 0o644 },
      { path: "src/util/io.py", size: 0, sha256: sha256(""), mode: 0o644 },
    ]);
  });

  it("applies .dockerignore, with ! exceptions inside ignored folders", async () => {
    await files({
      Dockerfile: "FROM debian\n",
      ".dockerignore": "data\n!data/labels.csv\n*.log\n",
      "data/big.bin": "x".repeat(1000),
      "data/labels.csv": "a,b\n",
      "train.log": "noise",
      "app.py": "",
    });
    const walked = await walkBuildContext(context);
    expect(walked.files.map((file) => file.path)).toEqual([
      ".dockerignore",
      "Dockerfile",
      "app.py",
      "data/labels.csv",
    ]);
  });

  it("finds a Dockerfile inside an ignored folder, and lists nothing else from it", async () => {
    await files({
      ".dockerignore": "docker\nnode_modules\n",
      "docker/Dockerfile": "FROM debian\n",
      "docker/notes.txt": "",
      "node_modules/x/index.js": "",
      "app.py": "",
    });
    const walked = await walkBuildContext(context, { dockerfilePath: "docker/Dockerfile" });
    expect(walked.dockerfile).toBe("FROM debian\n");
    expect(walked.files.map((file) => file.path)).toEqual([".dockerignore", "app.py"]);
  });

  it("finds a Dockerfile elsewhere in the context", async () => {
    await files({ "docker/gpu.Dockerfile": "FROM debian\n" });
    const walked = await walkBuildContext(context, { dockerfilePath: "./docker/gpu.Dockerfile" });
    expect(walked.dockerfilePath).toBe("docker/gpu.Dockerfile");
  });

  it("refuses symlinks that escape the context, every one of them", async () => {
    await files({ Dockerfile: "FROM debian\n" });
    await writeFile(join(root, "secret.txt"), "secret");
    await symlink("../secret.txt", join(context, "up"));
    await symlink(join(root, "secret.txt"), join(context, "absolute"));
    await mkdir(join(context, "deep"));
    await symlink("../../secret.txt", join(context, "deep", "link"));
    expect(await problemsOf(() => walkBuildContext(context))).toEqual([
      `${context}/absolute: symlink points outside the build context (found ${JSON.stringify(join(root, "secret.txt"))}; allowed: a relative target inside the context folder)`,
      `${context}/deep/link: symlink points outside the build context (found "../../secret.txt"; allowed: a relative target inside the context folder)`,
      `${context}/up: symlink points outside the build context (found "../secret.txt"; allowed: a relative target inside the context folder)`,
    ]);
  });

  it("refuses a Dockerfile path with .. and a missing Dockerfile", async () => {
    await files({ "app.py": "" });
    await writeFile(join(root, "Dockerfile"), "FROM debian\n");
    expect(
      await problemsOf(() => walkBuildContext(context, { dockerfilePath: "../Dockerfile" })),
    ).toEqual([
      `${context}: dockerfile_path: the Dockerfile must be inside the build context: the path leads outside the build context (found "../Dockerfile"; allowed: a path relative to the context folder, without ..)`,
    ]);
    expect(await problemsOf(() => walkBuildContext(context))).toEqual([
      `${context}: dockerfile_path: no Dockerfile "Dockerfile" in the build context`,
    ]);
  });

  it("refuses a FIFO, which a context cannot send", async () => {
    await files({ Dockerfile: "FROM debian\n" });
    execFileSync("mkfifo", [join(context, "pipe")]);
    expect(await problemsOf(() => walkBuildContext(context))).toEqual([
      `${context}/pipe: not a regular file, folder or symlink; a build context cannot hold it`,
    ]);
  });

  // Root reads every file whatever its mode, so this can only be checked as another user.
  it.skipIf(process.getuid?.() === 0)("names a file it cannot read", async () => {
    await files({ Dockerfile: "FROM debian\n", "private.key": "k" });
    await chmod(join(context, "private.key"), 0o000);
    expect(await problemsOf(() => walkBuildContext(context))).toEqual([
      `${join(context, "private.key")}: cannot read the file: permission denied`,
    ]);
  });

  it("names a context that is not a folder", async () => {
    await writeFile(join(root, "file"), "");
    expect(await problemsOf(() => walkBuildContext(join(root, "file")))).toEqual([
      `${join(root, "file")}: a build context must be a folder`,
    ]);
    expect(await problemsOf(() => walkBuildContext(join(root, "nowhere")))).toEqual([
      `${join(root, "nowhere")}: cannot open the build context: no such file or folder`,
    ]);
  });

  it("is what loadDefinition uses for a folder, and an envforge.yaml build", async () => {
    await files({ Dockerfile: "FROM debian\n", "app.py": "" });
    await writeFile(join(root, "envforge.yaml"), "name: app\nbuild:\n  path: ctx\napt: [curl]\n");
    const fromYaml = await loadDefinition(join(root, "envforge.yaml"), {
      settings: DEFAULT_PARSE_SETTINGS,
    });
    const fromFolder = await loadDefinition(context, { settings: DEFAULT_PARSE_SETTINGS });
    expect(fromYaml.base).toEqual(fromFolder.base);
    expect(fromYaml.apt).toEqual(["curl"]);
  });
});
