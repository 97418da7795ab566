import { describe, expect, it } from "vitest";
import {
  configIsFor,
  DEFAULT_PATH,
  imageConfigBytes,
  imageIndexBytes,
  imageManifestBytes,
  parseBaseConfig,
  parseBaseManifest,
  platformManifest,
  setVariable,
} from "./image-config.js";

const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const D = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;

describe("setVariable", () => {
  it.each([
    [["PATH=/usr/bin"], "PATH", "/opt/env/bin:$PATH", ["PATH=/opt/env/bin:/usr/bin"]],
    [[], "PATH", "/opt/env/bin:$PATH", [`PATH=/opt/env/bin:${DEFAULT_PATH}`]],
    [["A=1", "B=2"], "A", "3", ["A=3", "B=2"]],
    [["A=1"], "C", "x $PATH", ["A=1", "C=x $PATH"]],
  ])("%j with %s=%s gives %j", (env, name, value, expected) => {
    expect(setVariable(env, name, value)).toEqual(expected);
  });
});

describe("the image config", () => {
  const base = parseBaseConfig(
    encode({
      architecture: "amd64",
      os: "linux",
      config: { Env: ["PATH=/bin"], Cmd: ["bash"], WorkingDir: "/w", Labels: { z: "1", a: "2" } },
      rootfs: { type: "layers", diff_ids: [D(1)] },
      history: [{ created_by: "base" }],
    }),
    "base",
  );

  it("keeps the base's fields, adds envforge's, and is the same bytes every time", () => {
    const options = {
      base,
      recipe: {
        env: [
          ["PATH", "/opt/envforge/env/bin:$PATH"],
          ["CONDA_PREFIX", "/opt/envforge/env"],
        ] as const,
        labels: { "dev.envforge.image-hash": "envforge_x" },
        user: "root",
      },
      layers: [{ diffId: D(2), comment: "conda runtime" }],
      sourceDateEpoch: 1_700_000_000,
    };
    const bytes = imageConfigBytes(options);
    expect(imageConfigBytes(options)).toEqual(bytes);
    const config: unknown = JSON.parse(new TextDecoder().decode(bytes));
    expect(config).toMatchObject({
      created: "2023-11-14T22:13:20Z",
      config: {
        User: "root",
        Env: ["PATH=/opt/envforge/env/bin:/bin", "CONDA_PREFIX=/opt/envforge/env"],
        Cmd: ["bash"],
        WorkingDir: "/w",
        Labels: { a: "2", "dev.envforge.image-hash": "envforge_x", z: "1" },
      },
      rootfs: { type: "layers", diff_ids: [D(1), D(2)] },
    });
    expect(Object.keys((config as { config: { Labels: object } }).config.Labels)).toEqual([
      "a",
      "dev.envforge.image-hash",
      "z",
    ]);
  });

  it("refuses a base config without rootfs diff ids", () => {
    expect(() => parseBaseConfig(encode({ architecture: "amd64", os: "linux" }), "base x")).toThrow(
      "base x: not an image config with rootfs diff_ids",
    );
  });
});

describe("manifests", () => {
  it("lists Docker layer types as their OCI equivalents and refuses others", () => {
    const manifest = (mediaType: string): Uint8Array =>
      encode({
        schemaVersion: 2,
        config: { mediaType: "x", digest: D(1), size: 1 },
        layers: [{ mediaType, digest: D(2), size: 2 }],
      });
    expect(
      parseBaseManifest(manifest("application/vnd.docker.image.rootfs.diff.tar.gzip"), "b").layers,
    ).toEqual([
      { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: D(2), size: 2 },
    ]);
    expect(() => parseBaseManifest(manifest("application/x-zstd-thing"), "b")).toThrow(
      "b: a base layer of type application/x-zstd-thing",
    );
  });

  it("picks the platform's manifest from an index", () => {
    const index = encode({
      schemaVersion: 2,
      manifests: [
        { mediaType: "m", digest: D(3), size: 1, platform: { os: "linux", architecture: "arm64" } },
        { mediaType: "m", digest: D(4), size: 1, platform: { os: "linux", architecture: "amd64" } },
      ],
    });
    expect(platformManifest(index, "linux/amd64", "i")).toBe(D(4));
    expect(() => platformManifest(index, "linux/s390x", "i")).toThrow("no image for linux/s390x");
  });

  it("writes the OCI manifest with a fixed key order", () => {
    const bytes = imageManifestBytes({ mediaType: "c", digest: D(1), size: 3 }, [
      { mediaType: "l", digest: D(2), size: 4 },
    ]);
    expect(new TextDecoder().decode(bytes)).toBe(
      `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"c","digest":"${D(1)}","size":3},"layers":[{"mediaType":"l","digest":"${D(2)}","size":4}]}`,
    );
  });
});

describe("the image index of a build for several platforms", () => {
  it("lists each manifest with its platform, in the given order, and is read back by platform", () => {
    const manifest = (n: number) => ({
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: D(n),
      size: 100 + n,
    });
    const bytes = imageIndexBytes([
      { manifest: manifest(1), dockerPlatform: "linux/amd64" },
      { manifest: manifest(2), dockerPlatform: "linux/arm/v7" },
    ]);
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        { ...manifest(1), platform: { architecture: "amd64", os: "linux" } },
        { ...manifest(2), platform: { architecture: "arm", os: "linux", variant: "v7" } },
      ],
    });
    expect(platformManifest(bytes, "linux/arm/v7", "x")).toBe(D(2));
    expect(platformManifest(bytes, "linux/amd64", "x")).toBe(D(1));
  });

  it("tells whether a base that is one image is for the platform", () => {
    const config = parseBaseConfig(
      encode({ architecture: "arm64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }),
      "x",
    );
    expect(configIsFor(config, "linux/arm64")).toBe(true);
    expect(configIsFor(config, "linux/amd64")).toBe(false);
    expect(configIsFor(config, "linux/arm64/v8")).toBe(false);
  });
});
