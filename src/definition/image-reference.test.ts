import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import {
  checkImageReference,
  formatImageReference,
  parseImageReference,
} from "./image-reference.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("parseImageReference", () => {
  it.each([
    ["debian", { repository: "debian" }],
    ["debian:bookworm-slim", { repository: "debian", tag: "bookworm-slim" }],
    ["library/debian:12", { repository: "library/debian", tag: "12" }],
    [
      "127.0.0.1:5000/envforge/debian:bookworm",
      { registry: "127.0.0.1:5000", repository: "envforge/debian", tag: "bookworm" },
    ],
    ["localhost/base", { registry: "localhost", repository: "base" }],
    ["localhost:5000/a/b/c", { registry: "localhost:5000", repository: "a/b/c" }],
    [
      "registry.example.test/azureml/openmpi4.1.0-ubuntu20.04:20210615.v1",
      {
        registry: "registry.example.test",
        repository: "azureml/openmpi4.1.0-ubuntu20.04",
        tag: "20210615.v1",
      },
    ],
    [`debian@${DIGEST}`, { repository: "debian", digest: DIGEST }],
    [
      `my-host:443/x__y/z-1:latest@${DIGEST}`,
      { registry: "my-host:443", repository: "x__y/z-1", tag: "latest", digest: DIGEST },
    ],
    ["a---b__c_d/e.f", { repository: "a---b__c_d/e.f" }],
  ])("parses %s", (text, expected) => {
    const reference = parseImageReference(text);
    expect(reference).toEqual(expected);
    expect(formatImageReference(reference)).toBe(text);
  });

  it.each([
    ["", "the image reference is empty"],
    ["debian\nRUN rm -rf /", "the image reference contains whitespace"],
    ["Debian", 'repository path component "Debian" is not valid'],
    ["debian:", 'tag "" is not valid'],
    ["debian:-x", 'tag "-x" is not valid'],
    [`debian:${"t".repeat(129)}`, `tag "${"t".repeat(129)}" is not valid`],
    ["debian@sha256:abc", 'digest "sha256:abc" is not valid'],
    [`debian@md5:${"a".repeat(32)}`, `digest "md5:${"a".repeat(32)}" is not valid`],
    ["host:99999/x", 'registry "host:99999" is not a valid host[:port]'],
    ["-bad.host/x", 'registry "-bad.host" is not a valid host[:port]'],
    ["a//b", 'repository path component "" is not valid'],
    ["a/b_", 'repository path component "b_" is not valid'],
    [":tag", "the image reference has no repository"],
    [`${"a".repeat(256)}`, "the image name is 256 characters long"],
  ])("rejects %j", (text, message) => {
    const result = checkImageReference(text);
    expect(result).toMatchObject({ ok: false, message });
  });

  it("throws a ValidationError naming the file, key, found and allowed", () => {
    let error: unknown;
    try {
      parseImageReference("Ubuntu:20.04", { file: "env.yaml", line: 3, key: "image" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toBe(
      'env.yaml:3: image: not a valid image reference: repository path component "Ubuntu" is not valid ' +
        '(found "Ubuntu:20.04"; allowed: lower-case letters and digits, separated by ".", "_", "__" or "-")',
    );
  });
});

describe("image references, by property", () => {
  const alnum = fc.stringMatching(/^[a-z0-9]{1,8}$/);
  const component = fc
    .tuple(
      alnum,
      fc.array(fc.tuple(fc.constantFrom(".", "_", "__", "-", "--"), alnum), { maxLength: 2 }),
    )
    .map(([head, rest]) => head + rest.map(([separator, part]) => separator + part).join(""));
  const registry = fc.oneof(
    fc.constant("localhost"),
    fc.tuple(alnum, alnum).map(([a, b]) => `${a}.${b}`),
    fc.tuple(alnum, fc.integer({ min: 1, max: 65535 })).map(([host, port]) => `${host}:${port}`),
  );
  const reference = fc
    .record(
      {
        registry,
        repository: fc
          .array(component, { minLength: 1, maxLength: 3 })
          .map((parts) => parts.join("/")),
        tag: fc.stringMatching(/^\w[\w.-]{0,20}$/),
        digest: fc.stringMatching(/^[a-f0-9]{64}$/).map((hex) => `sha256:${hex}`),
      },
      { requiredKeys: ["repository"] },
    )
    // Without a registry, a first component that looks like a host is read as one (Docker's
    // rule), so such names are not round-trippable by design.
    .filter((ref) => {
      if (ref.registry !== undefined || !ref.repository.includes("/")) return true;
      const first = ref.repository.split("/")[0] ?? "";
      return !first.includes(".") && first !== "localhost";
    });

  it("parses what it formats", () => {
    fc.assert(
      fc.property(reference, (ref) => {
        expect(parseImageReference(formatImageReference(ref))).toEqual(ref);
      }),
    );
  });
});
