import { readFileSync } from "node:fs";

/** The version in package.json (dist/cli, dist/bin and src/cli all sit two folders below it). */
export async function packageVersion(): Promise<string> {
  // Read at once: a file this small costs less than a round trip through the thread pool.
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed === "object" && parsed !== null && "version" in parsed) {
    return String(parsed.version);
  }
  return "0.0.0";
}
