/**
 * The `FROM` lines of a user's Dockerfile: which images they name (to pin by digest at
 * registration), and the text with those lines rewritten to `image@sha256:…` (what the recipe
 * builds and the ingredients show). Stage names (`FROM builder`), `scratch`, references built
 * from build arguments (`FROM ${BASE}`) and references that already carry a digest are left as
 * written. Only single-line FROM instructions are read; the rest of the text is unchanged.
 */
import { checkImageReference, formatImageReference } from "../definition/image-reference.js";

/** A FROM reference as written, with the digest it was pinned to. */
export interface PinnedFrom {
  readonly reference: string;
  readonly digest: string;
}

const FROM = /^(\s*FROM\s+(?:--platform=\S+\s+)?)(\S+)(\s+AS\s+(\S+))?(\s*)$/i;

/** The image references of the FROM lines that can be pinned, in order, each once. */
export function pinnableFromReferences(dockerfile: string): string[] {
  const found: string[] = [];
  forEachFrom(dockerfile, (reference) => {
    if (!found.includes(reference)) found.push(reference);
    return undefined;
  });
  return found;
}

/** The Dockerfile with each pinnable FROM reference that has a pin written `ref@digest`. */
export function pinFromLines(dockerfile: string, pins: readonly PinnedFrom[]): string {
  if (pins.length === 0) return dockerfile;
  const byReference = new Map(pins.map((pin) => [pin.reference, pin.digest]));
  return forEachFrom(dockerfile, (reference) => {
    const digest = byReference.get(reference);
    const parsed = checkImageReference(reference);
    if (digest === undefined || !parsed.ok) return undefined;
    return formatImageReference({ ...parsed.reference, digest });
  });
}

/** Calls `visit` for each pinnable reference; a returned string replaces it in the text. */
function forEachFrom(dockerfile: string, visit: (reference: string) => string | undefined): string {
  const stages = new Set<string>();
  let continued = false;
  const lines = dockerfile.split("\n").map((line) => {
    const wasContinued = continued;
    continued = /[\\`]\s*$/.test(line) && !/^\s*#/.test(line);
    if (wasContinued) return line;
    const match = FROM.exec(line.replace(/\r$/, ""));
    if (match === null) return line;
    const [, head = "", reference = "", alias = "", name, tail = ""] = match;
    const pinnable =
      !stages.has(reference.toLowerCase()) &&
      reference.toLowerCase() !== "scratch" &&
      !reference.includes("$") &&
      !reference.includes("@");
    if (name !== undefined) stages.add(name.toLowerCase());
    if (!pinnable || !checkImageReference(reference).ok) return line;
    const replaced = visit(reference);
    if (replaced === undefined) return line;
    return `${head}${replaced}${alias}${tail}${line.endsWith("\r") ? "\r" : ""}`;
  });
  return lines.join("\n");
}
