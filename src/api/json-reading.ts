/**
 * JSON from a request body's bytes, as fastify's own parser reads it: prototype-poisoning keys
 * are refused. Used in place for small bodies and on the parse pool's threads for big ones, so
 * the two answer alike.
 */

export type JsonReading =
  | { readonly kind: "json"; readonly value: unknown }
  | { readonly kind: "bad-json"; readonly message: string };

export function readJsonBody(bytes: Uint8Array): JsonReading {
  try {
    return { kind: "json", value: JSON.parse(utf8.decode(bytes), refusePoisoning) };
  } catch (error) {
    return { kind: "bad-json", message: error instanceof Error ? error.message : String(error) };
  }
}

/** fastify's 400 for a body that is not JSON. */
export function badJson(message: string): Error {
  return Object.assign(new Error(`the body is not valid JSON: ${message}`), { statusCode: 400 });
}

function refusePoisoning(key: string, value: unknown): unknown {
  const constructorPoison =
    key === "constructor" && typeof value === "object" && value !== null && "prototype" in value;
  if (key === "__proto__" || constructorPoison) {
    throw new SyntaxError("Object contains forbidden prototype property");
  }
  return value;
}

// As Buffer#toString("utf8"): malformed bytes become U+FFFD and a byte-order mark stays (and is
// refused as JSON), whichever thread reads the body.
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
