/**
 * Writes schema/envforge.schema.json from the zod schema of envforge.yaml. Run it after changing
 * src/definition/definition-schema.ts: `npx tsx scripts/generate-schema.ts`. A test fails while the
 * committed file is stale.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { envforgeFileJsonSchema } from "../src/definition/definition-schema.js";

export const SCHEMA_FILE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "schema",
  "envforge.schema.json",
);

/** The file's exact text: two-space JSON and a final newline. */
export function renderEnvforgeSchema(): string {
  return `${JSON.stringify(envforgeFileJsonSchema(), null, 2)}\n`;
}

async function main(): Promise<void> {
  await mkdir(dirname(SCHEMA_FILE), { recursive: true });
  await writeFile(SCHEMA_FILE, renderEnvforgeSchema());
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
