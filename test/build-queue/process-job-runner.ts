/**
 * A real JobRunner for API tests without an engine: it runs the command as a child process
 * (no image), with the given variables, passing its output on as it comes.
 */
import { spawn } from "node:child_process";
import type { JobRunner } from "../../src/jobs/job-runner.js";

export function processJobRunner(): JobRunner {
  return {
    run: (request) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const [program, ...args] = request.command;
        if (program === undefined) return reject(new Error("no command"));
        const child = spawn(program, args, {
          env: { PATH: process.env.PATH, ...request.env },
          stdio: ["ignore", "pipe", "pipe"],
          ...(request.signal === undefined ? {} : { signal: request.signal }),
        });
        child.stdout.on("data", (chunk: Buffer) =>
          request.onOutput({ stream: "stdout", text: chunk.toString("utf8") }),
        );
        child.stderr.on("data", (chunk: Buffer) =>
          request.onOutput({ stream: "stderr", text: chunk.toString("utf8") }),
        );
        child.once("error", reject);
        child.once("close", (code) =>
          resolve({ exitCode: code ?? 137, durationMs: Date.now() - started }),
        );
      }),
  };
}
