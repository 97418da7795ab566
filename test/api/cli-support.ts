/** Runs the CLI in-process with string buffers, as a user would run `envforge …`. */
import { Writable } from "node:stream";
import { runCli } from "../../src/cli/run-cli.js";
import { withLoopbackDefaults } from "../support/loopback-defaults.js";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function buffer(): { stream: Writable; text: () => string } {
  let text = "";
  return {
    stream: new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString("utf8");
        done();
      },
    }),
    text: () => text,
  };
}

export async function cli(
  argv: readonly string[],
  options: { readonly env: NodeJS.ProcessEnv; readonly cwd: string },
): Promise<CliRun> {
  const stdout = buffer();
  const stderr = buffer();
  const code = await runCli(argv, {
    stdout: stdout.stream,
    stderr: stderr.stream,
    // Channel and index defaults at a closed loopback port unless the test sets them.
    env: withLoopbackDefaults(options.env),
    cwd: options.cwd,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Times, ids and secrets differ between two runs; everything else must not. */
export function normalise(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, "<time>")
    .replace(/efk_[A-Za-z0-9_-]{43}/g, "<secret>")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<id>");
}
