/**
 * The `WWW-Authenticate` challenge of a registry (RFC 7235), e.g.
 * `Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"`.
 * Registries send one challenge; the first is the one used.
 */
export interface AuthChallenge {
  /** Lower case: `basic`, `bearer`, or whatever else a server sent. */
  readonly scheme: string;
  /** Parameter names in lower case, values unquoted. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

export function parseAuthChallenge(header: string | null | undefined): AuthChallenge | undefined {
  if (header === null || header === undefined) return undefined;
  let rest = header.trim();
  const scheme = TOKEN.exec(rest)?.[0];
  if (scheme === undefined) return undefined;
  rest = rest.slice(scheme.length).trimStart();
  const params: Record<string, string> = {};
  while (rest !== "") {
    const name = TOKEN.exec(rest)?.[0];
    if (name === undefined) break;
    rest = rest.slice(name.length).trimStart();
    if (!rest.startsWith("=")) break; // the start of a second challenge: ignored
    rest = rest.slice(1).trimStart();
    let value: string;
    if (rest.startsWith('"')) {
      // quoted-string: a backslash escapes the next character; commas inside are data
      let i = 1;
      value = "";
      while (i < rest.length && rest[i] !== '"') {
        if (rest[i] === "\\" && i + 1 < rest.length) i += 1;
        value += rest[i];
        i += 1;
      }
      rest = rest.slice(i + 1);
    } else {
      // Lenient: some servers leave a URL unquoted, which RFC 7235 does not allow.
      value = /^[^,\s]*/.exec(rest)?.[0] ?? "";
      rest = rest.slice(value.length);
    }
    params[name.toLowerCase()] = value;
    rest = rest.trimStart();
    if (!rest.startsWith(",")) break;
    rest = rest.slice(1).trimStart();
  }
  return { scheme: scheme.toLowerCase(), params };
}
