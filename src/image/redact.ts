/**
 * Registry credentials and tokens must never reach a message or a log (ARCHITECTURE.md,
 * Security). Every text that may echo what was sent (a registry's error body, a token server's
 * answer, a helper's output) goes through `redact` with the secrets in play.
 */
export const REDACTED = "[redacted]";

/** `text` with every occurrence of every non-empty secret replaced by `[redacted]`. */
export function redact(text: string, secrets: Iterable<string>): string {
  // Longest first, so a secret that contains a shorter one is removed whole.
  const sorted = [...new Set(secrets)].filter((s) => s !== "").sort((a, b) => b.length - a.length);
  let result = text;
  for (const secret of sorted) result = result.split(secret).join(REDACTED);
  return result;
}

/** The forms a username/password pair travels in: the password and the Basic header value. */
export function secretFormsOf(username: string, password: string): string[] {
  return [password, Buffer.from(`${username}:${password}`).toString("base64")];
}
