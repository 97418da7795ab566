/**
 * VCS requirements → commits. At registration every `git+…@ref` (or no ref: the default branch)
 * is resolved with `git ls-remote`, so the lock names an immutable commit and a build installs
 * exactly that (`name @ git+URL@<sha>`), never whatever a branch points at later. A full commit
 * id written after `@` is taken as it is. Mercurial, Subversion and Bazaar are pinned only when
 * the URL already names an immutable revision (a 40-hex changeset, a revision number): envforge
 * runs no hg, svn or bzr client.
 */
import { spawn } from "node:child_process";
import type { PipRequirement } from "../definition/definition.js";
import { redactUrl } from "../definition/pip-requirements.js";
import type { VcsReference } from "../definition/vcs-requirement.js";
import { pinnedVcsRequirement } from "../definition/vcs-requirement.js";
import { ExternalError, ValidationError } from "../errors/index.js";

export interface VcsPin {
  readonly name: string;
  readonly reference: VcsReference;
  /** The immutable commit (git sha, hg changeset, svn/bzr revision) the ref named at lock time. */
  readonly commit: string;
  /** What pip installs: `name @ git+URL@<commit>[#subdirectory=…]`. */
  readonly requirement: string;
}

export interface PinVcsOptions {
  /** The git client; default `git` on the PATH. */
  readonly git?: string;
  /** Per repository; default 30 s. */
  readonly timeoutMs?: number;
  /** The environment git runs with (proxy settings, HOME for credentials). */
  readonly env?: NodeJS.ProcessEnv;
}

const FULL_SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/i;

/** Pins every VCS requirement of the list; the others are left out. */
export async function pinVcsRequirements(
  requirements: readonly PipRequirement[],
  options: PinVcsOptions = {},
): Promise<VcsPin[]> {
  const pins: VcsPin[] = [];
  for (const requirement of requirements) {
    if (requirement.vcs === undefined) continue;
    const commit = await resolveCommit(requirement.vcs, options);
    pins.push({
      name: requirement.name,
      reference: requirement.vcs,
      commit,
      requirement: pinnedVcsRequirement(requirement.name, requirement.vcs, commit),
    });
  }
  return pins;
}

async function resolveCommit(reference: VcsReference, options: PinVcsOptions): Promise<string> {
  const { ref } = reference;
  if (reference.vcs !== "git") {
    const immutable =
      ref !== undefined && (reference.vcs === "hg" ? FULL_SHA.test(ref) : /^\d+$/.test(ref));
    if (immutable) return ref;
    throw ValidationError.single({
      message: `${reference.vcs}+${redactUrl(reference.url)} names no fixed revision, and envforge pins only git refs itself`,
      found: ref === undefined ? "no revision" : JSON.stringify(ref),
      allowed:
        reference.vcs === "hg" ? "a full 40-hex changeset id after @" : "a revision number after @",
    });
  }
  if (ref !== undefined && FULL_SHA.test(ref)) return ref.toLowerCase();
  const wanted = ref ?? "HEAD";
  const output = await lsRemote(reference.url, wanted, options);
  const refs = new Map<string, string>();
  for (const line of output.split("\n")) {
    const [sha, name] = line.trim().split(/\s+/);
    if (sha !== undefined && name !== undefined && FULL_SHA.test(sha)) refs.set(name, sha);
  }
  // An annotated tag's own object is not a commit: its peeled `^{}` line is.
  const candidates =
    ref === undefined
      ? ["HEAD"]
      : [`refs/tags/${ref}^{}`, `refs/tags/${ref}`, `refs/heads/${ref}`, ref];
  for (const candidate of candidates) {
    const sha = refs.get(candidate);
    if (sha !== undefined) return sha.toLowerCase();
  }
  throw ValidationError.single({
    message: `git repository ${redactUrl(reference.url)} has no branch or tag ${JSON.stringify(wanted)}`,
    found: JSON.stringify(wanted),
    allowed: "a branch or tag of the repository, or a full 40-hex commit id",
  });
}

function lsRemote(url: string, ref: string, options: PinVcsOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(options.git ?? "git", ["ls-remote", "--", url, ref, `${ref}^{}`], {
      // Never wait for a password on a terminal: a registration has no one to type it.
      env: { ...(options.env ?? process.env), GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new ExternalError(`git could not be run to pin ${redactUrl(url)}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(stdout);
      const why =
        signal === "SIGKILL"
          ? `no answer within ${timeoutMs} ms`
          : redactUrl(stderr.trim().split("\n").slice(-1)[0] ?? `exit ${code}`);
      reject(new ExternalError(`git ls-remote ${redactUrl(url)} failed: ${why}`));
    });
  });
}
