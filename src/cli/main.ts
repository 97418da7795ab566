#!/usr/bin/env node
import { packageVersion } from "./package-version.js";

// A reader that closes the pipe (`envforge build logs ID | head -1`) has all it wanted: end
// quietly with the code so far, instead of an EPIPE stack trace from the next write.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
  });
}

// No top-level await: the bundle runs this module as a CommonJS script (scripts/bundle-cli.ts).
async function main(argv: readonly string[]): Promise<void> {
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    // Answered before the command tree loads: a version check costs little more than node itself.
    process.stdout.write(`${await packageVersion()}\n`);
    return;
  }
  const { runCli } = await import("./run-cli.js");
  process.exitCode = await runCli(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  });
}

void main(process.argv.slice(2));
