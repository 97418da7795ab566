/**
 * A build context is content, not a path (ARCHITECTURE.md, Security): at registration every
 * regular file the definition lists is stored by its sha256 in the version's transaction, so
 * any worker builds from the registered bytes and never from a folder. The bytes given are
 * checked against the listing first; a file whose bytes were not given must be stored already
 * (a definition registered before, read back and registered again).
 */
import { createHash } from "node:crypto";
import { ValidationError } from "../errors/index.js";
import type { Problem } from "../errors/index.js";
import type { Definition } from "../definition/definition.js";
import type { StoreTx } from "./store.js";

/** `sha256:<hex>` → the file's bytes. */
export type ContextContent = ReadonlyMap<string, Uint8Array>;

export interface ContextContentPlan {
  /** Checked bytes to store (insert-if-absent). */
  readonly put: readonly { readonly sha256: string; readonly content: Uint8Array }[];
  /** Listed files whose bytes were not given: the store must hold them already. */
  readonly expected: readonly { readonly path: string; readonly sha256: string }[];
}

export function sha256Hex(content: Uint8Array): string {
  return `sha256:${createHash("sha256").update(content).digest("hex")}`;
}

/** What to store for the definition's context; bytes that do not match their listing fail here. */
export function planContextContent(
  definition: Definition,
  given: ContextContent | undefined,
): ContextContentPlan {
  const { base } = definition;
  if (base.kind !== "build") return { put: [], expected: [] };
  const put = new Map<string, Uint8Array>();
  const expected: { path: string; sha256: string }[] = [];
  const problems: Problem[] = [];
  for (const file of base.files) {
    // A symlink's "content" is its target, which the listing itself holds.
    if (file.linkTarget !== undefined || put.has(file.sha256)) continue;
    const content = given?.get(file.sha256);
    if (content === undefined) {
      expected.push({ path: file.path, sha256: file.sha256 });
    } else if (sha256Hex(content) !== file.sha256) {
      problems.push({
        file: file.path,
        key: "build context",
        message: "the file's content does not match its listed sha256",
        allowed: `content with ${file.sha256}`,
      });
    } else {
      put.set(file.sha256, content);
    }
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return { put: [...put].map(([sha256, content]) => ({ sha256, content })), expected };
}

/** Writes the plan inside the registration's transaction; throws (rolling back) if a file is missing. */
export async function storeContextContent(
  tx: StoreTx,
  plan: ContextContentPlan,
  now: string,
): Promise<void> {
  for (const { sha256, content } of plan.put) await tx.putContextContent({ sha256, content, now });
  if (plan.expected.length === 0) return;
  const stored = await tx.storedContextContent(plan.expected.map((file) => file.sha256));
  const missing = plan.expected.filter((file) => !stored.has(file.sha256));
  if (missing.length === 0) return;
  throw new ValidationError(
    missing.map((file) => ({
      file: file.path,
      key: "build context",
      message:
        "the file's content was not given with the definition, and the workspace does not hold it",
      allowed: "registering the build context from its folder (or uploading its files)",
    })),
  );
}
