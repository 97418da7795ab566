import { describe, expect, it } from "vitest";
import { checkManifestAnswer, sha256Digest } from "./manifest-check.js";

const OCI = "application/vnd.oci.image.manifest.v1+json";
const INDEX = "application/vnd.oci.image.index.v1+json";
const config = `sha256:${"c".repeat(64)}`;
const image = new TextEncoder().encode(
  JSON.stringify({ schemaVersion: 2, mediaType: OCI, config: { digest: config }, layers: [] }),
);
const index = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, manifests: [] }));
const garbage = new TextEncoder().encode("<html>ok</html>");

describe("checkManifestAnswer", () => {
  it("accepts an image manifest whose digest header is the sha256 of its bytes", () => {
    expect(
      checkManifestAnswer({ contentType: OCI, digestHeader: sha256Digest(image), bytes: image }),
    ).toEqual({ ok: true, digest: sha256Digest(image), mediaType: OCI, configDigest: config });
  });

  it("accepts an index without a digest header", () => {
    expect(
      checkManifestAnswer({ contentType: INDEX, digestHeader: undefined, bytes: index }),
    ).toEqual({ ok: true, digest: sha256Digest(index), mediaType: INDEX });
  });

  it.each([
    [
      "a content type that is no manifest type",
      { contentType: "text/html", digestHeader: undefined, bytes: garbage },
      /^content type "text\/html" is not a manifest type \(allowed: application\/vnd\.oci\.image\.manifest\.v1\+json, /,
    ],
    [
      "no content type",
      { contentType: undefined, digestHeader: undefined, bytes: image },
      /^content type \(none\) is not a manifest type/,
    ],
    [
      "a digest header that is not the body's",
      { contentType: OCI, digestHeader: `sha256:${"0".repeat(64)}`, bytes: image },
      `Docker-Content-Digest "sha256:${"0".repeat(64)}" does not match the body, whose sha256 is ${sha256Digest(image)}`,
    ],
    [
      "a garbage body with the right type",
      { contentType: OCI, digestHeader: sha256Digest(garbage), bytes: garbage },
      "the body (15 bytes) is not JSON",
    ],
    [
      "a body of another type",
      {
        contentType: "application/vnd.docker.distribution.manifest.v2+json",
        digestHeader: undefined,
        bytes: image,
      },
      `the body says mediaType "${OCI}" but the answer's content type is application/vnd.docker.distribution.manifest.v2+json`,
    ],
    [
      "an image manifest without a config",
      { contentType: INDEX, digestHeader: undefined, bytes: new TextEncoder().encode("{}") },
      "the body is not a manifest (no schemaVersion 2)",
    ],
  ])("refuses %s", (_what, answer, problem) => {
    const checked = checkManifestAnswer(answer);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    if (typeof problem === "string") expect(checked.problem).toBe(problem);
    else expect(checked.problem).toMatch(problem);
  });
});
