import { describe, expect, it } from "vitest";
import { readConfig } from "../../host/config.js";
import { parseOutputs, withBuilder } from "./build-outputs.js";

describe("env build --output and --builder", () => {
  it("reads oci: and docker-archive: outputs relative to the working folder", () => {
    expect(parseOutputs(["oci:out", "docker-archive:/tmp/i.tar"], "/w")).toEqual({
      ociLayout: "/w/out",
      dockerArchive: "/tmp/i.tar",
    });
    expect(parseOutputs([], "/w")).toBeUndefined();
  });

  it("refuses an unknown output, naming the grammar", () => {
    expect(() => parseOutputs(["tar:x"], "/w")).toThrow(
      '--output: is not an output (found "tar:x"; allowed: oci:DIR or docker-archive:FILE)',
    );
  });

  it("makes --output native and refuses it with --builder docker", () => {
    const settings = { env: {}, config: readConfig({ HOME: "/h" }) };
    expect(settings.config.builder).toBe("auto");
    expect(withBuilder(settings, undefined, { ociLayout: "/o" }).config.builder).toBe("native");
    expect(() => withBuilder(settings, "docker", { ociLayout: "/o" })).toThrow("--output");
    expect(() => withBuilder(settings, "kaniko", undefined)).toThrow("--builder");
  });
});
