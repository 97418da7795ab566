/**
 * Docker credential helpers (`docker-credential-<name> get`, server on stdin, JSON on stdout),
 * as the Docker CLI runs them: https://github.com/docker/docker-credential-helpers#usage
 */
import { spawn } from "node:child_process";
import * as z from "zod";
import { ExternalError } from "../errors/index.js";

export interface HelperCredentials {
  readonly username: string;
  readonly secret: string;
}

export interface RunCredentialHelperOptions {
  /** The part after `docker-credential-`, e.g. `pass`. */
  readonly helper: string;
  /** What the Docker CLI passes: the registry host as written in the config. */
  readonly server: string;
  /** Environment of the helper (its PATH finds it). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where the helper was configured, for messages. */
  readonly configuredIn: string;
  readonly timeoutMs?: number;
}

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
// docker-credential-helpers' credentials.errCredentialsNotFoundMessage
const NOT_FOUND = "credentials not found in native keychain";

const HelperOutput = z.object({ Username: z.string(), Secret: z.string() });

/** The helper's credentials for `server`, or undefined when it has none. */
export async function runCredentialHelper(
  options: RunCredentialHelperOptions,
): Promise<HelperCredentials | undefined> {
  const command = `docker-credential-${options.helper}`;
  if (!HELPER_NAME.test(options.helper)) {
    throw new ExternalError(
      `credential helper name ${JSON.stringify(options.helper)} in ${options.configuredIn} is not valid (allowed: letters, digits, ".", "_", "-")`,
    );
  }
  const result = await run(command, options);
  if (result.code !== 0) {
    const said = `${result.stdout}\n${result.stderr}`.trim();
    if (said.includes(NOT_FOUND)) return undefined;
    throw new ExternalError(
      `credential helper ${command} (configured in ${options.configuredIn}) failed for ${options.server} with exit code ${result.code}: ${excerpt(said)}`,
    );
  }
  let parsed: z.infer<typeof HelperOutput>;
  try {
    parsed = HelperOutput.parse(JSON.parse(result.stdout));
  } catch {
    // Neither the output nor the parse error (V8 quotes the input in it): the output holds
    // the secret when it is almost right.
    throw new ExternalError(
      `credential helper ${command} (configured in ${options.configuredIn}) printed something other than {"Username": …, "Secret": …} for ${options.server}`,
    );
  }
  return { username: parsed.Username, secret: parsed.Secret };
}

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, options: RunCredentialHelperOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, ["get"], {
      env: { ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 30_000,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error: NodeJS.ErrnoException) => {
      const why =
        error.code === "ENOENT" ? "was not found on PATH" : `could not be run (${error.message})`;
      reject(
        new ExternalError(
          `credential helper ${command} (configured in ${options.configuredIn}) ${why}`,
          { cause: error },
        ),
      );
    });
    child.on("close", (code, signal) => {
      resolve({
        code: code ?? (signal === null ? 1 : 128),
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      });
    });
    child.stdin.on("error", () => undefined); // a helper that exits early closes its stdin
    child.stdin.end(options.server);
  });
}

/** A short, single-line piece of a failing helper's output (its error, not a secret). */
function excerpt(text: string): string {
  const line = text.replace(/\s+/g, " ");
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
