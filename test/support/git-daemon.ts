/**
 * A git repository served on loopback by Debian's `git daemon`, for VCS requirements: a small
 * Python project (setuptools' PEP 517 backend, which Debian's python3-setuptools provides
 * offline) with a branch, a lightweight tag and an annotated tag. Returns the commits so a test
 * can check what a ref was pinned to, and can add a commit to main later.
 */
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface GitDaemon {
  /** `git://127.0.0.1:<port>/<name>.git` */
  readonly url: string;
  /** Commit of tag v1 (annotated) and of branch main's first commit. */
  readonly v1: string;
  /** Head of main: one commit after v1, tagged v2 (lightweight). */
  readonly main: string;
  /** Head of branch feature. */
  readonly feature: string;
  /** Commits `version` on main (the served repository's main moves) and returns the commit. */
  commit(version: string): string;
  stop(): Promise<void>;
}

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "envforge test",
  GIT_AUTHOR_EMAIL: "test@127.0.0.1",
  GIT_COMMITTER_NAME: "envforge test",
  GIT_COMMITTER_EMAIL: "test@127.0.0.1",
  GIT_AUTHOR_DATE: "2024-01-01T00:00:00Z",
  GIT_COMMITTER_DATE: "2024-01-01T00:00:00Z",
  GIT_CONFIG_NOSYSTEM: "1",
  HOME: tmpdir(),
};

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: GIT_ENV, encoding: "utf8" }).trim();
}

/**
 * A project `name` (package `name` with `__version__`, 0.1.0 at v1, 0.2.0 after) in
 * `<root>/<name>.git`, declaring `dependencies` in its pyproject.toml when given.
 */
export async function startGitDaemon(
  name = "vcsdemo",
  options: { readonly dependencies?: readonly string[] } = {},
): Promise<GitDaemon> {
  const root = mkdtempSync(join(tmpdir(), "envforge-git-"));
  const work = join(root, "work");
  mkdirSync(join(work, name), { recursive: true });
  git(root, "init", "-q", "-b", "main", work);
  const write = (version: string): void => {
    writeFileSync(
      join(work, "pyproject.toml"),
      [
        "[build-system]",
        'requires = ["setuptools>=61", "wheel"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        `name = "${name}"`,
        `version = "${version}"`,
        ...(options.dependencies === undefined
          ? []
          : [`dependencies = ${JSON.stringify(options.dependencies)}`]),
        "",
        "[tool.setuptools]",
        `packages = ["${name}"]`,
        "",
      ].join("\n"),
    );
    writeFileSync(join(work, name, "__init__.py"), `__version__ = "${version}"\n`);
  };
  write("0.1.0");
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "v1");
  git(work, "tag", "-a", "v1", "-m", "release 1");
  const v1 = git(work, "rev-parse", "HEAD");
  git(work, "checkout", "-q", "-b", "feature");
  writeFileSync(join(work, "FEATURE"), "feature\n");
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "feature");
  const feature = git(work, "rev-parse", "HEAD");
  git(work, "checkout", "-q", "main");
  write("0.2.0");
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "v2");
  git(work, "tag", "v2");
  const main = git(work, "rev-parse", "HEAD");
  git(root, "clone", "-q", "--bare", work, join(root, `${name}.git`));

  const port = await freePort();
  const daemon = spawn(
    "git",
    [
      "daemon",
      `--base-path=${root}`,
      "--export-all",
      "--reuseaddr",
      "--listen=127.0.0.1",
      `--port=${port}`,
      root,
    ],
    { env: GIT_ENV, stdio: "ignore" },
  );
  await waitForPort(port, daemon);
  return {
    url: `git://127.0.0.1:${port}/${name}.git`,
    v1,
    main,
    feature,
    commit: (version) => {
      write(version);
      git(work, "commit", "-q", "-am", version);
      git(work, "push", "-q", join(root, `${name}.git`), "main");
      return git(work, "rev-parse", "HEAD");
    },
    stop: async () => {
      daemon.kill("SIGTERM");
      await new Promise((resolve) => daemon.once("exit", resolve));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`git daemon exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`git daemon did not listen on 127.0.0.1:${port}`);
}
