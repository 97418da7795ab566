import { PassThrough } from "node:stream";
import { runCli } from "../../src/cli/run-cli.js";
import { withLoopbackDefaults } from "./loopback-defaults.js";

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI in-process, as a user would from `cwd`, and collects what it printed. Channel and
 * index defaults point at a closed loopback port unless `env` sets them.
 */
export async function cli(
  args: readonly string[],
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const stdout = collect();
  const stderr = collect();
  const code = await runCli(args, {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: withLoopbackDefaults(options.env),
    cwd: options.cwd ?? process.cwd(),
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}
