import { readFile } from "node:fs/promises";

/** The version in package.json (dist/cli and src/cli both sit two folders below it). */
export async function packageVersion(): Promise<string> {
  const text = await readFile(new URL("../../package.json", import.meta.url), "utf8");
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed === "object" && parsed !== null && "version" in parsed) {
    return String(parsed.version);
  }
  return "0.0.0";
}
