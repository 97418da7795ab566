#!/usr/bin/env node
import { packageVersion } from "./package-version.js";

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  // Answered before the command tree loads: a version check costs little more than node itself.
  process.stdout.write(`${await packageVersion()}\n`);
} else {
  const { runCli } = await import("./run-cli.js");
  process.exitCode = await runCli(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  });
}
