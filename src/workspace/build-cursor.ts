/** Page cursors for builds and jobs: the creation time and id of the last item, opaque. */
import { invalidCursor } from "./cursor.js";

export interface TimeCursor {
  readonly createdAt: string;
  readonly id: string;
}

export function encodeTimeCursor(after: TimeCursor): string {
  return Buffer.from(JSON.stringify({ t: after.createdAt, i: after.id }), "utf8").toString(
    "base64url",
  );
}

export function decodeTimeCursor(cursor: string | undefined): TimeCursor | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch (error) {
    throw invalidCursor(cursor, error);
  }
  if (
    typeof parsed === "object" &&
    parsed !== null &&
    "t" in parsed &&
    "i" in parsed &&
    typeof parsed.t === "string" &&
    typeof parsed.i === "string"
  ) {
    return { createdAt: parsed.t, id: parsed.i };
  }
  throw invalidCursor(cursor);
}
