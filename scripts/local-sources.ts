/**
 * Stand-ins on loopback for what the quick start reaches on a machine with the internet, for
 * machines (like CI's) that reach no public channel, index or image registry:
 *   - a conda channel on 127.0.0.1:8000 standing in for conda-forge: python 3.11 and pip (shims
 *     over the base image's Debian python), the real zlib 1.2.11, and `envforge-hello`;
 *   - a PEP 503 index on 127.0.0.1:8001 standing in for PyPI: Debian's wheel, pip and setuptools;
 *   - a base image with that python, `127.0.0.1:5000/envforge/python3:bookworm`.
 * Needs the engines of scripts/ci/engines.sh. Point envforge at them with the settings printed
 * (the README's quick start lists them).
 *
 *   npm run local-sources              # serve in the foreground until Ctrl-C
 *   npm run local-sources -- --detach  # serve in the background once ready; pid in a file
 *   npm run local-sources -- --stop    # stop the background one
 */
import { execFile, spawn } from "node:child_process";
import { openSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseArgs } from "node:util";
import { ensurePythonImage } from "../test/support/python-image.js";
import { PLAIN_REGISTRY } from "../test/support/registry.js";
import { startSeedChannel } from "../test/support/seed-channel.js";
import { startPipIndex } from "../test/support/pip-index.js";
import { dockerProblem, pipIndexProblem, PYTHON_SHIMS } from "./support/seed-flow-setup.js";

const run = promisify(execFile);
const DOCKER_CLI = "/usr/bin/docker";
const PID_FILE = join(tmpdir(), "envforge-local-sources.pid");
const LOG_FILE = join(tmpdir(), "envforge-local-sources.log");

const { values } = parseArgs({
  options: {
    detach: { type: "boolean", default: false },
    stop: { type: "boolean", default: false },
    "channel-port": { type: "string", default: "8000" },
    "index-port": { type: "string", default: "8001" },
  },
});
const channelPort = Number(values["channel-port"]);
const indexPort = Number(values["index-port"]);
const channelUrl = `http://127.0.0.1:${channelPort}`;
const indexUrl = `http://127.0.0.1:${indexPort}/simple`;
const baseImage = `${PLAIN_REGISTRY}/envforge/python3:bookworm`;

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

if (values.stop) {
  const pid = await runningPid();
  if (pid === undefined) say("local-sources: nothing to stop");
  else {
    process.kill(pid);
    say(`local-sources: stopped pid ${pid}`);
  }
  await rm(PID_FILE, { force: true });
  process.exit(0);
}

const problem = (await dockerProblem()) ?? (await pipIndexProblem());
if (problem !== undefined) {
  say(`local-sources: ${problem}`);
  process.exit(1);
}

if (values.detach) {
  const running = await runningPid();
  if (running !== undefined) {
    say(`local-sources: already serving in the background (pid ${running})`);
    printSettings();
    process.exit(0);
  }
  if ((await listening(channelUrl)) || (await listening(indexUrl))) {
    say(
      `local-sources: something else answers on port ${channelPort} or ${indexPort}; stop it or pass --channel-port/--index-port`,
    );
    process.exit(1);
  }
  // The image first, in the foreground: it can take a minute on a new machine, and a failure
  // belongs on this terminal, not in a log.
  await ensureBaseImage();
  const log = openSync(LOG_FILE, "w");
  const args = process.argv.slice(1).filter((arg) => arg !== "--detach");
  const child = spawn(process.execPath, [...process.execArgv, ...args], {
    detached: true,
    stdio: ["ignore", log, log],
  });
  child.unref();
  await writeFile(PID_FILE, `${child.pid ?? ""}\n`);
  const deadline = Date.now() + 60_000;
  while (!(await answers(`${channelUrl}/noarch/repodata.json`)) || !(await answers(indexUrl))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      say(`local-sources: the background server did not start; see ${LOG_FILE}`);
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  say(`local-sources: serving in the background (pid ${child.pid ?? "?"}, log ${LOG_FILE})`);
  printSettings();
  process.exit(0);
}

await ensureBaseImage();
const channel = await startSeedChannel({ extra: PYTHON_SHIMS, port: channelPort });
const index = await startPipIndex({ port: indexPort });
say(`local-sources: conda channel ${channel.url} (python 3.11, pip, zlib 1.2.11, envforge-hello)`);
say(`local-sources: pip index ${index.url} (wheel, pip, setuptools)`);
printSettings();
const stop = (): void => {
  void Promise.all([channel.close(), index.close()]).then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

function printSettings(): void {
  say("settings for envforge:");
  say(`  ENVFORGE_CHANNEL_URLS=conda-forge=${channelUrl}`);
  say(`  ENVFORGE_PIP_INDEX_URL=${indexUrl}`);
  say(`  ENVFORGE_BASE_IMAGE=${baseImage}`);
}

/** The background server's pid, when its file names a live process. */
async function runningPid(): Promise<number | undefined> {
  const pid = Number((await readFile(PID_FILE, "utf8").catch(() => "")).trim());
  if (!(pid > 0)) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** True when anything answers HTTP at `url`, whatever the status. */
async function listening(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** The test support's python image, under a name a person can type. */
async function ensureBaseImage(): Promise<void> {
  const made = await ensurePythonImage();
  const [wanted, have] = await Promise.all([imageId(made), imageId(baseImage)]);
  if (wanted !== undefined && wanted === have && (await inRegistry())) return;
  if (wanted === undefined) await run(DOCKER_CLI, ["pull", made], { maxBuffer: 1 << 26 });
  await run(DOCKER_CLI, ["tag", made, baseImage]);
  await run(DOCKER_CLI, ["push", baseImage], { maxBuffer: 1 << 26 });
  say(`local-sources: base image ${baseImage}`);
}

async function imageId(name: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(DOCKER_CLI, ["image", "inspect", "--format", "{{.Id}}", name]);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

async function inRegistry(): Promise<boolean> {
  const [repository, tag] = baseImage.slice(PLAIN_REGISTRY.length + 1).split(":");
  const response = await fetch(
    `http://${PLAIN_REGISTRY}/v2/${repository ?? ""}/manifests/${tag ?? ""}`,
    {
      method: "HEAD",
      headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
      signal: AbortSignal.timeout(5000),
    },
  ).catch(() => undefined);
  return response?.status === 200;
}
