import { describe, expect, it } from "vitest";
import type { LockedCondaPackage } from "../definition/lock.js";
import { historyText, prefixRecord, prefixRecordJson } from "./conda-meta.js";

const pkg: LockedCondaPackage = {
  name: "zlib",
  version: "1.2.11",
  build: "h7b6447c_3",
  buildNumber: 3,
  channel: "defaults",
  subdir: "linux-64",
  filename: "zlib-1.2.11-h7b6447c_3.tar.bz2",
  url: "https://user:secret@channel.invalid/t/tk-123/main/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2",
  sha256: "a".repeat(64),
  md5: "b".repeat(32),
  size: 10,
  depends: ["libgcc-ng >=7.3.0"],
  constrains: [],
};

describe("conda-meta", () => {
  it("writes history with the injected time, sorted +channel::dist lines", () => {
    const text = historyText({
      time: new Date("2026-03-04T05:06:07.890Z"),
      packages: [pkg, { ...pkg, name: "abc", channel: "http://127.0.0.1:8080/ch/" }],
      command: "envforge install envforge.lock --prefix /env",
    });
    expect(text).toBe(
      [
        "==> 2026-03-04 05:06:07 <==",
        "# cmd: envforge install envforge.lock --prefix /env",
        "+defaults::zlib-1.2.11-h7b6447c_3",
        "+http://127.0.0.1:8080/ch::abc-1.2.11-h7b6447c_3",
        "",
      ].join("\n"),
    );
  });

  it("writes a record with sorted keys and no credentials", () => {
    const record = prefixRecord({
      pkg,
      index: {
        name: "zlib",
        version: "1.2.11",
        build: "h7b6447c_3",
        buildNumber: 3,
        depends: [],
        constrains: [],
        raw: { license: "zlib", timestamp: 1 },
      },
      linked: [
        { path: "lib/b", pathType: "hardlink", sha256: "c".repeat(64), size: 1 },
        { path: "lib/a", pathType: "softlink" },
      ],
      pkgsDir: "/opt/envforge/pkgs",
      linkMode: "copy",
    });
    const json = prefixRecordJson(record);
    expect(Object.keys(JSON.parse(json) as object)).toEqual(
      Object.keys(JSON.parse(json) as object).sort(),
    );
    expect(json).not.toContain("secret");
    expect(json).not.toContain("tk-123");
    expect(record).toMatchObject({
      channel: "https://channel.invalid/main/linux-64",
      url: "https://channel.invalid/main/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2",
      files: ["lib/a", "lib/b"],
      license: "zlib",
      timestamp: 1,
      link: { source: "/opt/envforge/pkgs/zlib-1.2.11-h7b6447c_3", type: 3 },
      paths_data: {
        paths: [
          { _path: "lib/a", path_type: "softlink" },
          { _path: "lib/b", path_type: "hardlink", sha256: "c".repeat(64), size_in_bytes: 1 },
        ],
        paths_version: 1,
      },
    });
  });
});
