/** Values of repeatable command-line options. */

/** `--tag key=value` values → a tags map; the last value of a key wins. */
export function parseTags(values: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf("=");
    const key = at < 0 ? value : value.slice(0, at);
    tags[key] = at < 0 ? "" : value.slice(at + 1);
  }
  return tags;
}

export function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}
