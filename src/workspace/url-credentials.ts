/**
 * Credentials inside channel and index URLs (`https://user:pass@host/…`, conda's `/t/<token>/`)
 * are kept apart from the definition (issue 13, point 5): the stored definition holds every URL
 * without them and names the keys that had some (`credentialsConfigured`), its source texts are
 * stripped too, and the URLs as written are stored by workspace and definition hash, read back
 * only when a build is handed out. The definition hash never counted credentials, so splitting
 * changes no hash.
 */
import { stripUrlCredentials } from "../definition/definition-hash.js";
import type { Definition, PipRequirement } from "../definition/definition.js";

/** One URL-bearing value as written, at its key in the definition. */
export interface UrlCredential {
  readonly key: string;
  readonly value: string;
}

export interface SplitDefinition {
  /** What is stored and shown: no credentials anywhere, the marker set. */
  readonly definition: Definition;
  /** What a build needs back; empty when nothing had credentials. */
  readonly credentials: readonly UrlCredential[];
}

export function splitUrlCredentials(definition: Definition): SplitDefinition {
  const credentials: UrlCredential[] = [];
  const mapped = mapUrlValues(definition, (key, value) => {
    const clean = stripUrlCredentials(value);
    if (clean !== value) credentials.push({ key, value });
    return clean;
  });
  // The text as written is for display and edits; a build reads the fields mapped above.
  const source = mapped.conda?.source;
  const stripped: Definition =
    mapped.conda === undefined || source === undefined
      ? mapped
      : {
          ...mapped,
          conda: {
            ...mapped.conda,
            source: { ...source, text: stripUrlCredentials(source.text) },
          },
        };
  const { credentialsConfigured: _old, ...rest } = stripped;
  return {
    definition:
      credentials.length === 0
        ? rest
        : { ...rest, credentialsConfigured: credentials.map((c) => c.key) },
    credentials,
  };
}

/**
 * The definition a build uses: the stored one with the URLs as written put back at their keys.
 * A key that does not fit the definition is skipped (the URL stays without credentials, and the
 * build fails with the index's or channel's own 401, which names no secret).
 */
export function restoreUrlCredentials(
  definition: Definition,
  credentials: readonly UrlCredential[],
): Definition {
  if (credentials.length === 0) return definition;
  const byKey = new Map(credentials.map((c) => [c.key, c.value]));
  return mapUrlValues(definition, (key, value) => byKey.get(key) ?? value);
}

/**
 * Every value of the definition that may hold a URL, each replaced by `at(key, value)`: the one
 * walk that splitting and restoring share, so the keys one writes are the keys the other reads.
 */
function mapUrlValues(
  definition: Definition,
  at: (key: string, value: string) => string,
): Definition {
  const list = (key: string, values: readonly string[]): string[] =>
    values.map((value, i) => at(`${key}[${i}]`, value));
  const requirements = (key: string, values: readonly PipRequirement[]): PipRequirement[] =>
    values.map((r, i) => ({ ...r, requirement: at(`${key}[${i}].requirement`, r.requirement) }));
  const { conda, pip } = definition;
  return {
    ...definition,
    ...(conda === undefined
      ? {}
      : {
          conda: {
            ...conda,
            channels: list("conda.channels", conda.channels),
            dependencies: list("conda.dependencies", conda.dependencies),
            pip: list("conda.pip", conda.pip),
          },
        }),
    ...(pip === undefined
      ? {}
      : {
          pip: {
            ...pip,
            requirements: requirements("pip.requirements", pip.requirements),
            constraints: requirements("pip.constraints", pip.constraints),
            ...(pip.indexUrl === undefined ? {} : { indexUrl: at("pip.indexUrl", pip.indexUrl) }),
            extraIndexUrls: list("pip.extraIndexUrls", pip.extraIndexUrls),
            findLinks: list("pip.findLinks", pip.findLinks),
          },
        }),
  };
}

/** Each source file's text with the credentials of its URLs removed. */
export function stripSourceFiles(files: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(files).map(([path, text]) => [path, stripUrlCredentials(text)]),
  );
}
