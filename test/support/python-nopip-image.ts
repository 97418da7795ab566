/**
 * A base image with Debian's python3 and no pip at all, for builds where envforge installs the
 * wheels itself: `python3 -m pip` in the result fails unless something brought pip in. Made once
 * with the 20.10 CLI (apt reaches Debian's packages with host networking), pushed to the plain
 * registry under a tag named by its Dockerfile's hash, and found there by later runs.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { BASE_IMAGE, PLAIN_REGISTRY } from "./registry.js";

const run = promisify(execFile);
const DOCKER_CLI = "/usr/bin/docker";

export const PYTHON_NOPIP_DOCKERFILE = `FROM ${BASE_IMAGE}
RUN apt-get update \\
 && apt-get install -y --no-install-recommends python3 \\
 && rm -rf /var/lib/apt/lists/* \\
 && ! python3 -m pip --version
`;

export const PYTHON_NOPIP_REPOSITORY = "envforge-test/python3-nopip";

export function pythonNoPipTag(): string {
  return `bookworm-${createHash("sha256").update(PYTHON_NOPIP_DOCKERFILE).digest("hex").slice(0, 12)}`;
}

/** `127.0.0.1:5000/envforge-test/python3-nopip:bookworm-<hash>`, built and pushed if missing. */
export async function ensurePythonNoPipImage(): Promise<string> {
  const tag = pythonNoPipTag();
  const image = `${PLAIN_REGISTRY}/${PYTHON_NOPIP_REPOSITORY}:${tag}`;
  const head = await fetch(
    `http://${PLAIN_REGISTRY}/v2/${PYTHON_NOPIP_REPOSITORY}/manifests/${tag}`,
    {
      method: "HEAD",
      headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
    },
  );
  if (head.status === 200) return image;
  const build = run(DOCKER_CLI, ["build", "--network", "host", "--tag", image, "-"], {
    env: { ...process.env, DOCKER_BUILDKIT: "1" },
    maxBuffer: 1 << 26,
  });
  build.child.stdin?.end(PYTHON_NOPIP_DOCKERFILE);
  await build;
  await run(DOCKER_CLI, ["push", image], { maxBuffer: 1 << 26 });
  return image;
}
