/**
 * The entries of a conda file's `pip:` list: PEP 508 requirements (checked with
 * pip-requirements-js), direct URLs or paths to archives, and `-`-options. A requirement may
 * carry per-requirement options (`--hash=...`) as in a requirements file, because conda writes
 * the list to one and runs `pip install -r` on it.
 */
import { parsePipRequirementsLine } from "pip-requirements-js";
import { normalizePipName } from "../definition/pep503.js";

export type PipEntryCheck =
  | { readonly ok: true; readonly kind: "requirement" | "option"; readonly name?: string }
  | { readonly ok: false; readonly reason: string; readonly example?: string };

// Per-requirement options pip accepts after a requirement in a requirements file.
const REQUIREMENT_OPTION = /\s+--(hash|global-option|config-settings)(=|\s)/;

/** True for a pip option line (`--index-url ...`, `-e .`): pip reads it, it names no package. */
export function isPipOption(entry: string): boolean {
  return entry.trimStart().startsWith("-");
}

/** The first word of an option (`--index-url` in `--index-url=http://...`), which identifies it. */
export function pipOptionKey(option: string): string {
  return option.trim().split(/[\s=]/)[0] ?? "";
}

/** Checks one `pip:` entry; `name` is PEP 503 normalised when the entry names a project. */
export function checkPipEntry(entry: string): PipEntryCheck {
  const text = entry.trim();
  if (text === "") return { ok: false, reason: "it is empty" };
  if (/[\r\n\0]/.test(text)) return { ok: false, reason: "it spans more than one line" };
  if (isPipOption(text)) return { ok: true, kind: "option" };
  const requirement = text.split(REQUIREMENT_OPTION)[0]?.trim() ?? text;
  const direct = directReferenceName(requirement);
  if (direct !== undefined) {
    return direct === ""
      ? { ok: true, kind: "requirement" }
      : { ok: true, kind: "requirement", name: direct };
  }
  try {
    const parsed = parsePipRequirementsLine(requirement);
    if (parsed === null) return { ok: false, reason: "it is only a comment" };
    if (parsed.type === "ProjectName" || parsed.type === "ProjectURL") {
      return { ok: true, kind: "requirement", name: normalizePipName(parsed.name) };
    }
    return { ok: false, reason: '-r and -c files are options; they must start with "-"' };
  } catch (error) {
    return explainSyntaxError(requirement, error);
  }
}

/** The normalised project name of an entry, when it names one. */
export function pipEntryName(entry: string): string | undefined {
  const check = checkPipEntry(entry);
  return check.ok && check.kind === "requirement" ? check.name : undefined;
}

/**
 * A bare URL or path (`https://.../x-1.0-py3-none-any.whl`, `git+https://...#egg=x`,
 * `./dist/x-1.0.tar.gz`): pip installs it though it is not PEP 508. Returns the project name
 * when the `#egg=` fragment or the archive file name gives one, "" when nothing does, and
 * undefined when the text is not a URL or path.
 */
function directReferenceName(text: string): string | undefined {
  const isUrl = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text);
  const isPath = /^(\.{1,2}[\\/]|\/|[A-Za-z]:[\\/])/.test(text);
  if (!isUrl && !isPath) return undefined;
  const egg = /[#&]egg=([A-Za-z0-9._-]+)/.exec(text);
  if (egg !== null) return normalizePipName(egg[1] ?? "");
  const file = text.split(/[?#]/)[0]?.split(/[\\/]/).pop() ?? "";
  // Wheel names are `name-version-...whl` (PEP 427); sdists `name-version.tar.gz`.
  const wheel = /^([^-]+)-.*\.whl$/.exec(file);
  if (wheel !== null) return normalizePipName(wheel[1] ?? "");
  const sdist = /^(.+)-[^-]+\.(tar\.gz|tar\.bz2|zip)$/.exec(file);
  return sdist === null ? "" : normalizePipName(sdist[1] ?? "");
}

function explainSyntaxError(requirement: string, error: unknown): PipEntryCheck {
  // conda's `name=1.2` is the usual slip in a pip list.
  const condaPin = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*=\s*([^=<>!~\s][^\s]*)$/.exec(requirement);
  if (condaPin !== null) {
    return {
      ok: false,
      reason: 'pip pins versions with "==", not "="',
      example: `${condaPin[1] ?? ""}==${condaPin[2] ?? ""}`,
    };
  }
  const text = error instanceof Error ? error.message : String(error);
  const detail = /col (\d+): (.*)$/m.exec(text);
  const where = detail === null ? "" : ` at column ${detail[1] ?? ""}: ${detail[2] ?? ""}`;
  return {
    ok: false,
    reason: `it is not a PEP 508 requirement${where}`,
    example: "requests>=2.31",
  };
}
