/**
 * Opaque page cursors: base64url JSON of the last key on the page. Opaque so callers cannot
 * depend on their form; checked on the way back in, so a mangled cursor is a ValidationError.
 */
import { ValidationError } from "../errors/index.js";

export function encodeCursor(after: string | number): string {
  return Buffer.from(JSON.stringify({ after }), "utf8").toString("base64url");
}

export function decodeNameCursor(cursor: string | undefined): string | undefined {
  const after = decode(cursor);
  if (after === undefined || typeof after === "string") return after;
  throw invalidCursor(cursor);
}

export function decodeVersionCursor(cursor: string | undefined): number | undefined {
  const after = decode(cursor);
  if (after === undefined || (typeof after === "number" && Number.isSafeInteger(after))) {
    return after;
  }
  throw invalidCursor(cursor);
}

function decode(cursor: string | undefined): unknown {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch (error) {
    throw invalidCursor(cursor, error);
  }
  if (typeof parsed !== "object" || parsed === null || !("after" in parsed))
    throw invalidCursor(cursor);
  return parsed.after;
}

/** The error for a cursor a list did not hand out (shared by every paged list). */
export function invalidCursor(cursor: string | undefined, cause?: unknown): ValidationError {
  return ValidationError.single(
    {
      key: "cursor",
      message: "not a cursor this list returned",
      found: JSON.stringify(cursor),
      allowed: "the nextCursor of the previous page",
    },
    { cause },
  );
}
