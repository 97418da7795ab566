// Part of `npm run layers`: workspace/ reads no environment. dependency-cruiser sees imports
// (readConfig, node:process) but not the `process` global, so `process.env` is found here.
// Usage: node scripts/ci/environment-reads.mjs [folder ...]   (default: src/workspace)
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const folders = process.argv.length > 2 ? process.argv.slice(2) : ["src/workspace"];
const READS = /\bprocess\s*(?:\.\s*env\b|\[\s*["'`]env["'`]\s*\])/;

function* sources(folder) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.[cm]?[jt]s$/.test(entry.name) && !/\.test\.[cm]?[jt]s$/.test(entry.name)) {
      yield path;
    }
  }
}

/** The text with comments blanked (line numbers kept), so a comment may name process.env. */
function code(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, " "))
    .replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

const found = [];
for (const folder of folders) {
  for (const file of sources(folder)) {
    code(readFileSync(file, "utf8"))
      .split("\n")
      .forEach((line, index) => {
        if (READS.test(line)) found.push(`${relative(process.cwd(), file)}:${index + 1}`);
      });
  }
}
if (found.length > 0) {
  for (const where of found) {
    console.error(
      `  error workspace-reads-no-environment: ${where} reads process.env; take the setting from the composition root (client/, api/serve, sdk) instead`,
    );
  }
  process.exitCode = 1;
} else {
  console.log(`no environment reads in ${folders.join(", ")}`);
}
