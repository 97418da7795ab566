/**
 * A base image with Debian's python3 and no pip at all, for builds where envforge installs the
 * wheels itself: `python3 -m pip` in the result fails unless something brought pip in. Made once
 * with the 20.10 CLI (apt reaches Debian's packages with host networking), pushed to the plain
 * registry under a tag named by its Dockerfile's hash, and found there by later runs.
 */
import { BASE_IMAGE } from "./registry.js";
import { dockerfileTag, ensureTestImage } from "./python-image.js";

export const PYTHON_NOPIP_DOCKERFILE = `FROM ${BASE_IMAGE}
RUN apt-get update \\
 && apt-get install -y --no-install-recommends python3 \\
 && rm -rf /var/lib/apt/lists/* \\
 && ! python3 -m pip --version
`;

export const PYTHON_NOPIP_REPOSITORY = "envforge-test/python3-nopip";

export function pythonNoPipTag(): string {
  return dockerfileTag(PYTHON_NOPIP_DOCKERFILE);
}

/** `127.0.0.1:5000/envforge-test/python3-nopip:bookworm-<hash>`, built and pushed if missing. */
export function ensurePythonNoPipImage(): Promise<string> {
  return ensureTestImage(PYTHON_NOPIP_REPOSITORY, PYTHON_NOPIP_DOCKERFILE);
}
