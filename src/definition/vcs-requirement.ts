/**
 * pip's VCS requirements (https://pip.pypa.io/en/stable/topics/vcs-support/):
 * `git+https://host/repo.git@v1.2#egg=name&subdirectory=pkg`, bare or as `name @ git+…`, for git,
 * Mercurial, Subversion and Bazaar. Pure: reads the text; pinning a ref to a commit is
 * src/pip/lock-vcs.ts.
 */
import { normalizePipName } from "./pep503.js";

export type VcsKind = "git" | "hg" | "svn" | "bzr";

export interface VcsReference {
  readonly vcs: VcsKind;
  /** The repository URL pip's VCS backend is given: no `vcs+` prefix, no `@ref`, no fragment. */
  readonly url: string;
  /** A branch, tag or commit after `@`; absent = the repository's default branch. */
  readonly ref?: string;
  /** `#subdirectory=`: where the project's pyproject.toml or setup.py is. */
  readonly subdirectory?: string;
}

export type VcsParse =
  | { readonly ok: true; readonly name: string; readonly reference: VcsReference }
  | { readonly ok: false; readonly message: string };

const VCS_URL = /^(git|hg|svn|bzr)\+([a-z][a-z0-9+.-]*):\/\/(\S+)$/i;

/** pip's transports per VCS; a local `file:` repository is a local path, refused elsewhere. */
const SCHEMES: Readonly<Record<VcsKind, readonly string[]>> = {
  git: ["https", "http", "ssh", "git"],
  hg: ["https", "http", "ssh", "static-http"],
  svn: ["https", "http", "ssh", "svn", "svn+ssh"],
  bzr: ["https", "http", "ssh", "sftp", "ftp", "bzr", "lp"],
};

/** True when `text` starts like a VCS URL (`git+https://…`). */
export function isVcsUrl(text: string): boolean {
  return /^(git|hg|svn|bzr)\+[a-z][a-z0-9+.-]*:\/\//i.test(text);
}

/**
 * Reads a VCS URL; `declaredName` is the name before ` @ `, when written. The name comes from
 * there, else from `#egg=`, else from the repository's last path segment (pip reads the real
 * name from the project's metadata; the lock records that one).
 */
export function parseVcsUrl(text: string, declaredName?: string): VcsParse {
  const match = VCS_URL.exec(text.trim());
  if (match === null)
    return { ok: false, message: "not a VCS URL such as git+https://host/repo.git" };
  const vcs = (match[1] ?? "").toLowerCase() as VcsKind;
  const scheme = (match[2] ?? "").toLowerCase();
  if (scheme === "file") {
    return {
      ok: false,
      message: "a file: repository is on your disk, which the image build cannot see",
    };
  }
  if (!SCHEMES[vcs].includes(scheme)) {
    return {
      ok: false,
      message: `${vcs}+${scheme} is not a transport pip supports for ${vcs} (allowed: ${SCHEMES[vcs].map((s) => `${vcs}+${s}`).join(", ")})`,
    };
  }
  const rest = match[3] ?? "";
  const hashAt = rest.indexOf("#");
  const location = hashAt === -1 ? rest : rest.slice(0, hashAt);
  const fragment = hashAt === -1 ? "" : rest.slice(hashAt + 1);
  const fields = new Map<string, string>();
  for (const part of fragment.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = eq === -1 ? part : part.slice(0, eq);
    if (key !== "egg" && key !== "subdirectory") {
      return {
        ok: false,
        message: `unknown fragment key ${JSON.stringify(key)} (allowed: egg, subdirectory)`,
      };
    }
    fields.set(key, eq === -1 ? "" : decodeURIComponent(part.slice(eq + 1)));
  }
  // The ref follows the last "@" after the host (a user@ in ssh URLs comes before the path).
  const slash = location.indexOf("/");
  const pathPart = slash === -1 ? "" : location.slice(slash);
  const at = pathPart.lastIndexOf("@");
  const ref = at === -1 ? undefined : pathPart.slice(at + 1);
  const repository = at === -1 ? location : location.slice(0, slash + at);
  if (ref === "")
    return { ok: false, message: 'nothing follows "@": name a branch, tag or commit' };
  if (ref !== undefined && !/^[A-Za-z0-9._/+-]+$/.test(ref)) {
    return { ok: false, message: `ref ${JSON.stringify(ref)} is not a branch, tag or commit name` };
  }
  try {
    // An scp-style address (`git@host:org/repo`) in a URL reads `org` as a port: not a URL.
    new URL(`${scheme}://${repository}`);
  } catch {
    return {
      ok: false,
      message: `${scheme}://${repository} is not a valid URL (write ssh://git@host/org/repo.git)`,
    };
  }
  const subdirectory = fields.get("subdirectory");
  if (
    subdirectory !== undefined &&
    (subdirectory === "" || subdirectory.split("/").includes(".."))
  ) {
    return { ok: false, message: "#subdirectory= must name a folder inside the repository" };
  }
  const egg = fields.get("egg");
  // The last segment of the repository's path, never its host.
  const repositoryPath = slash === -1 ? "" : repository.slice(slash);
  const lastSegment = /([^/:]+?)(?:\.git)?\/?$/.exec(repositoryPath)?.[1];
  const name = declaredName ?? egg ?? lastSegment;
  if (name === undefined || !/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name)) {
    return {
      ok: false,
      message: 'the project name cannot be told: write "name @ <url>" or add #egg=name',
    };
  }
  return {
    ok: true,
    name: normalizePipName(name),
    reference: {
      vcs,
      url: `${scheme}://${repository}`,
      ...(ref === undefined ? {} : { ref }),
      ...(subdirectory === undefined ? {} : { subdirectory }),
    },
  };
}

/** A requirement pip installs exactly: `name @ git+URL@<commit>[#subdirectory=…]`. */
export function pinnedVcsRequirement(
  name: string,
  reference: VcsReference,
  commit: string,
): string {
  const subdirectory =
    reference.subdirectory === undefined ? "" : `#subdirectory=${reference.subdirectory}`;
  return `${name} @ ${reference.vcs}+${reference.url}@${commit}${subdirectory}`;
}
