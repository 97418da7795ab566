/**
 * The user's path on a fresh machine, end to end, in a temporary ENVFORGE_HOME:
 * `envforge env create` (the lock is resolved at registration) → `envforge env build` (pushed to
 * 127.0.0.1:5000/envforge/envforge_<image hash>) → `envforge run` in that image. It needs only
 * the engines of scripts/ci/engines.sh; the channel and the pip index run on 127.0.0.1 for its
 * length. Ends with the job's output; exits with the first failing stage's exit code.
 *
 *   bash scripts/ci/engines.sh && npm ci && npm run seed-flow
 */
import { PassThrough } from "node:stream";
import * as z from "zod";
import { runCli } from "../src/cli/run-cli.js";
import { dockerClient, removeImage } from "../test/support/docker.js";
import {
  dockerProblem,
  pipIndexProblem,
  PLAIN_REGISTRY,
  prepareSeedFlow,
  registryProblem,
} from "./support/seed-flow-setup.js";

const NAME = "seed";
const ImageShown = z.looseObject({ image: z.looseObject({ name: z.string() }) });
/** The env's own bin/ script (from the conda package), then pip's wheel in the image's python. */
const JOB = 'envforge-hello && python3 -c "import wheel; print(wheel.__version__)"';

function stage(text: string): void {
  process.stderr.write(`\n== ${text}\n`);
}

async function envforge(
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; stdout?: NodeJS.WritableStream },
): Promise<void> {
  process.stderr.write(`$ envforge ${args.map(quote).join(" ")}\n`);
  const code = await runCli(args, {
    stdout: options.stdout ?? process.stdout,
    stderr: process.stderr,
    env: options.env,
    cwd: options.cwd,
  });
  if (code !== 0) {
    process.stderr.write(`seed-flow: envforge ${args[0] ?? ""} ${args[1] ?? ""} exited ${code}\n`);
    process.exit(code);
  }
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

const started = Date.now();
stage("engines");
const problem = (await dockerProblem()) ?? (await registryProblem()) ?? (await pipIndexProblem());
if (problem !== undefined) {
  process.stderr.write(`seed-flow: ${problem}\n`);
  process.exit(1);
}
process.stderr.write(`Docker engine, registry ${PLAIN_REGISTRY} and Debian's wheels are there\n`);

stage("loopback channel, pip index and python base image");
const setup = await prepareSeedFlow({ report: (line) => process.stderr.write(`${line}\n`) });
try {
  const { env, workDir: cwd } = setup;
  process.stderr.write(`ENVFORGE_HOME=${env["ENVFORGE_HOME"] ?? ""}\n`);

  stage("register (the lock is resolved from the channel here)");
  await envforge(["env", "create", "--file", setup.definitionFile, "--name", NAME], { cwd, env });

  stage("build and push the image");
  await envforge(["env", "build", NAME], { cwd, env });

  stage("build again: the registry has it, so nothing is built");
  await envforge(["env", "build", NAME], { cwd, env });

  stage("run a job in the image");
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on("data", (chunk: Buffer) => chunks.push(chunk));
  await envforge(["run", NAME, "--", "sh", "-c", JOB], { cwd, env, stdout: output });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  // Last, so the flow ends with what the job printed in the environment.
  stage(`done in ${seconds} s; the job's output (exit code 0):`);
  process.stdout.write(Buffer.concat(chunks));
  await removeLocalImage(env, cwd);
} finally {
  await setup.close();
}

/**
 * The image stays in the registry; the local copy goes, since the temporary workspace that
 * names it is removed too and every run makes a new image (its channel has a new port).
 */
async function removeLocalImage(env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  const shown = new PassThrough();
  const chunks: Buffer[] = [];
  shown.on("data", (chunk: Buffer) => chunks.push(chunk));
  const code = await runCli(["env", "show", NAME, "--image", "--json"], {
    stdout: shown,
    stderr: new PassThrough(),
    env,
    cwd,
  });
  if (code !== 0) return;
  const parsed = ImageShown.safeParse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
  if (!parsed.success) return;
  const docker = dockerClient();
  const id = await docker
    .getImage(`${parsed.data.image.name}:latest`)
    .inspect()
    .then((image) => image.Id)
    .catch(() => undefined);
  if (id !== undefined) await removeImage(docker, id);
}
