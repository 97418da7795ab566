/**
 * A base image with Debian's python3 and pip, for pip build tests (the CI base image has no
 * python). Made once with the 20.10 CLI (apt reaches Debian's packages with host networking),
 * pushed to the plain registry under a tag named by its Dockerfile's hash, and found there by
 * later runs, so only the first run on a machine pays for apt (about a minute).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { BASE_IMAGE, PLAIN_REGISTRY } from "./registry.js";

const run = promisify(execFile);
const DOCKER_CLI = "/usr/bin/docker";

// EXTERNALLY-MANAGED goes, as in the python images users build on: pip installs system-wide.
// Debian's pip depends on python3-wheel; its files go too, so installing wheel must fetch it.
export const PYTHON_IMAGE_DOCKERFILE = `FROM ${BASE_IMAGE}
RUN apt-get update \\
 && apt-get install -y --no-install-recommends python3 python3-pip \\
 && rm -rf /var/lib/apt/lists/* \\
 && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED \\
 && rm -rf /usr/lib/python3/dist-packages/wheel /usr/lib/python3/dist-packages/wheel-*
`;

export const PYTHON_IMAGE_REPOSITORY = "envforge-test/python3";

export function pythonImageTag(): string {
  return dockerfileTag(PYTHON_IMAGE_DOCKERFILE);
}

/** `127.0.0.1:5000/envforge-test/python3:bookworm-<hash>`, built and pushed if missing. */
export function ensurePythonImage(): Promise<string> {
  return ensureTestImage(PYTHON_IMAGE_REPOSITORY, PYTHON_IMAGE_DOCKERFILE);
}

/** `bookworm-<12 hex of the Dockerfile's sha256>`: a new Dockerfile is a new tag. */
export function dockerfileTag(dockerfile: string): string {
  return `bookworm-${createHash("sha256").update(dockerfile).digest("hex").slice(0, 12)}`;
}

/**
 * `<plain registry>/<repository>:<dockerfileTag>`: found in the registry, or built from the
 * Dockerfile with the 20.10 CLI (host networking, so apt reaches Debian) and pushed there.
 */
export async function ensureTestImage(repository: string, dockerfile: string): Promise<string> {
  const tag = dockerfileTag(dockerfile);
  const image = `${PLAIN_REGISTRY}/${repository}:${tag}`;
  const head = await fetch(`http://${PLAIN_REGISTRY}/v2/${repository}/manifests/${tag}`, {
    method: "HEAD",
    headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
  });
  if (head.status === 200) return image;
  const build = run(DOCKER_CLI, ["build", "--network", "host", "--tag", image, "-"], {
    env: { ...process.env, DOCKER_BUILDKIT: "1" },
    maxBuffer: 1 << 26,
  });
  build.child.stdin?.end(dockerfile);
  await build;
  await run(DOCKER_CLI, ["push", image], { maxBuffer: 1 << 26 });
  return image;
}
