/**
 * VCS requirements at build time: each pinned commit is fetched on the build host into a folder
 * of the build context, and the image's own pip builds and installs it from there (recipe/
 * dockerfile.ts). Fetching on the host means the image needs no git and never sees repository
 * credentials (they stay in the definition's URL, which the lock does not hold); building in the
 * image means a compiled package is built for the image's interpreter and libraries, which a
 * wheel built on the host would not be.
 *
 * Only the pinned commit is asked for (a shallow fetch of its id, which git daemon, GitHub and
 * GitLab serve); a server that refuses to serve an id it does not advertise is fetched whole and
 * the commit looked up in it. git checks every object against its id, so the tree is exactly the
 * commit's. Submodules are not fetched.
 */
import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Definition } from "../definition/definition.js";
import { redactUrl } from "../definition/pip-requirements.js";
import { definitionVcsRequirements } from "../definition/vcs-pins.js";
import { ExternalError, ValidationError } from "../errors/index.js";
import type { VcsSource } from "../recipe/index.js";

export interface FetchVcsOptions {
  /** Its requirements hold the repository URLs with any credentials (the lock's have none). */
  readonly definition: Definition;
  readonly sources: readonly VcsSource[];
  /** Each source goes to `<workDir>/vcs/<name>`, its repository to `<workDir>/vcs-git/<name>`. */
  readonly workDir: string;
  /** The git client; default `git` on the PATH. */
  readonly git?: string;
  /** The environment git runs with; default this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Per git command; default 5 minutes (a large repository fetched whole takes a while). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The folder of each source's tree, by source name. */
export async function fetchVcsSources(options: FetchVcsOptions): Promise<Map<string, string>> {
  const requirements = new Map(
    definitionVcsRequirements(options.definition).map((r) => [r.key, r] as const),
  );
  const folders = new Map<string, string>();
  for (const source of options.sources) {
    options.signal?.throwIfAborted();
    const { pin } = source;
    const requirement = requirements.get(pin.requirement);
    if (requirement === undefined) {
      throw ValidationError.single({
        key: "lock.vcs",
        message: `the lock pins VCS requirement ${JSON.stringify(pin.requirement)}, which the definition does not have`,
        found: pin.requirement,
        allowed: "a lock made for this definition",
      });
    }
    if (pin.vcs !== "git") {
      throw ValidationError.single({
        key: "lock.vcs",
        message: `${pin.vcs} requirement ${JSON.stringify(pin.requirement)} cannot be built: envforge fetches only git repositories`,
        found: pin.vcs,
        allowed: "git+https, git+ssh, git+http or git+git requirements",
      });
    }
    const tree = join(options.workDir, "vcs", source.name);
    await checkoutCommit({
      ...options,
      url: requirement.vcs.url,
      commit: pin.commit,
      name: pin.name,
      repository: join(options.workDir, "vcs-git", source.name),
      tree,
    });
    folders.set(source.name, tree);
  }
  return folders;
}

export interface CheckoutOptions extends Pick<
  FetchVcsOptions,
  "git" | "env" | "timeoutMs" | "signal"
> {
  /** The repository as the definition names it (credentials included, never shown). */
  readonly url: string;
  readonly commit: string;
  /** The project, for messages. */
  readonly name: string;
  /** A bare repository made here. */
  readonly repository: string;
  /** Where the commit's files are written. */
  readonly tree: string;
}

/** Writes the files of one commit of a git repository into `tree` (no `.git` there). */
export async function checkoutCommit(options: CheckoutOptions): Promise<void> {
  const { url, commit, repository, tree } = options;
  await mkdir(tree, { recursive: true });
  await git(["init", "--quiet", "--bare", repository], { ...options, what: "init" });
  const at = ["--git-dir", repository];
  try {
    await git([...at, "fetch", "--quiet", "--no-tags", "--depth", "1", "--", url, commit], {
      ...options,
      what: "fetch",
    });
  } catch (error) {
    if (!(error instanceof ExternalError)) throw error;
    // Not every server serves a commit by its id: take every branch and tag, then look.
    await git(
      [
        ...at,
        "fetch",
        "--quiet",
        "--",
        url,
        "+refs/heads/*:refs/heads/*",
        "+refs/tags/*:refs/tags/*",
      ],
      { ...options, what: "fetch" },
    );
  }
  try {
    await git([...at, "cat-file", "-e", `${commit}^{commit}`], {
      ...options,
      url: undefined,
      what: "cat-file",
    });
  } catch (error) {
    if (!(error instanceof ExternalError)) throw error;
    throw new ExternalError(
      `git repository ${redactUrl(url)} no longer has commit ${commit}, which the lock pins for ${options.name}: lock the definition again to pin what its ref names now`,
    );
  }
  await git([...at, "--work-tree", tree, "checkout", "--quiet", "--force", commit, "--", "."], {
    ...options,
    url: undefined,
    what: "checkout",
  });
}

function git(
  args: readonly string[],
  options: Pick<FetchVcsOptions, "git" | "env" | "timeoutMs" | "signal"> & {
    readonly what: string;
    readonly url?: string;
  },
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  const shown = options.url === undefined ? "" : ` ${redactUrl(options.url)}`;
  return new Promise((resolve, reject) => {
    const child = spawn(options.git ?? "git", args, {
      // Never wait for a password on a terminal: a build has no one to type it.
      env: { ...(options.env ?? process.env), GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "" },
      stdio: ["ignore", "ignore", "pipe"],
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", (error) => {
      clearTimeout(timer);
      if (options.signal?.aborted === true) return reject(options.signal.reason);
      reject(new ExternalError(`git could not be run on the build host: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      if (options.signal?.aborted === true) return reject(options.signal.reason);
      const why =
        signal === "SIGKILL"
          ? `no answer within ${timeoutMs} ms`
          : redactUrl(stderr.trim().split("\n").slice(-1)[0] ?? `exit ${code}`);
      reject(new ExternalError(`git ${options.what}${shown} failed: ${why}`));
    });
  });
}
