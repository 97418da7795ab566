/**
 * Credentials out of every URL in a text, in one pass: `user:password@` after a scheme, then the
 * hosted-channel style `/t/<token>/` path segment (conda strips it the same way). The result is
 * what the two regular expressions below give, replacing all matches left to right:
 *
 *   1. `([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#\s]*@`            → `$1`
 *   2. `([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\s]+)\/t\/[^/\s]+(?=\/|$|\s)` → `$1`
 *
 * but linear: a backtracking engine retries every start inside a long run of scheme characters,
 * so a 256 KiB file of long words and one `://` took seconds (issue 13: every parser is linear).
 * Each match ends its scheme at the first `://` after its start, so every `://` has one candidate
 * scheme (the leftmost letter of the scheme characters before it), and the scans before and after
 * it stop at the neighbouring `://`s: every character is looked at a bounded number of times.
 */

export function stripUrlCredentials(text: string): string {
  if (!text.includes("://")) return text;
  return stripTokens(stripUserInfo(text));
}

/** Expression 1: `scheme://` kept, everything up to the last `@` of the authority dropped. */
function stripUserInfo(text: string): string {
  let out = "";
  let cursor = 0;
  for (let p = text.indexOf("://"); p >= 0; p = text.indexOf("://", p + 1)) {
    const start = schemeStart(text, p, cursor);
    if (start === undefined) continue;
    let at = -1;
    let end = p + 3;
    while (end < text.length && !USERINFO_STOP.has(text.charCodeAt(end))) {
      if (text.charCodeAt(end) === AT) at = end;
      end += 1;
    }
    if (at < 0) continue;
    out += text.slice(cursor, p + 3);
    cursor = at + 1;
    p = at;
  }
  return cursor === 0 ? text : out + text.slice(cursor);
}

/** Expression 2: `scheme://host` kept, a following `/t/<token>` dropped. */
function stripTokens(text: string): string {
  let out = "";
  let cursor = 0;
  for (let p = text.indexOf("://"); p >= 0; p = text.indexOf("://", p + 1)) {
    const start = schemeStart(text, p, cursor);
    if (start === undefined) continue;
    let host = p + 3;
    while (host < text.length && !PATH_STOP.has(text.charCodeAt(host))) host += 1;
    if (host === p + 3 || !text.startsWith("/t/", host)) continue;
    let end = host + 3;
    while (end < text.length && !PATH_STOP.has(text.charCodeAt(end))) end += 1;
    // `[^/\s]+` stops before `/`, white space or the end: the look-ahead always holds there.
    if (end === host + 3) continue;
    out += text.slice(cursor, host);
    cursor = end;
    p = end - 1;
  }
  return cursor === 0 ? text : out + text.slice(cursor);
}

/**
 * Where the match for the `://` at `p` starts: the leftmost letter among the scheme characters
 * right before `p`, not before `floor` (the end of the last match); undefined when there is none.
 */
function schemeStart(text: string, p: number, floor: number): number | undefined {
  let run = p;
  while (run > floor && isSchemeChar(text.charCodeAt(run - 1))) run -= 1;
  for (let i = run; i < p; i += 1) if (isLetter(text.charCodeAt(i))) return i;
  return undefined;
}

const AT = 0x40;
// JavaScript's `\s`: ASCII white space, NBSP, the Unicode space separators, line terminators, BOM.
const WHITE_SPACE = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
  0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff,
];
const USERINFO_STOP = new Set([...WHITE_SPACE, 0x2f, 0x3f, 0x23]);
const PATH_STOP = new Set([...WHITE_SPACE, 0x2f]);

function isLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function isSchemeChar(code: number): boolean {
  return (
    isLetter(code) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2b ||
    code === 0x2e ||
    code === 0x2d
  );
}
