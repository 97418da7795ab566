/** Plain aligned columns for terminal lists; scripts use --json instead. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

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
