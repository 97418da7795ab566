import { describe, expect, it } from "vitest";
import { parseAptResolution } from "./apt-resolve.js";

const MARK = "--envforge-apt--\n";

describe("parseAptResolution", () => {
  it("pins every package of the dry run and requested ones the base already has", () => {
    const output =
      MARK +
      [
        "NOTE: This is only a simulation!",
        "The following NEW packages will be installed:",
        "  hello libfoo1",
        "Inst libfoo1 (1.2.3-1+b1 Debian:12.5/stable [amd64])",
        "Inst hello (2.10-3 Debian:12.5/stable [amd64])",
        "Inst libc6:amd64 [2.36-9] (2.36-9+deb12u4 Debian-Security:12/stable-security [amd64])",
        "Conf hello (2.10-3 Debian:12.5/stable [amd64])",
        "",
      ].join("\n") +
      MARK +
      "hello 2.10-3\nca-certificates 20230311\n";
    expect(parseAptResolution(output, ["hello", "ca-certificates"])).toEqual([
      { name: "ca-certificates", version: "20230311" },
      { name: "hello", version: "2.10-3" },
      { name: "libc6", version: "2.36-9+deb12u4" },
      { name: "libfoo1", version: "1.2.3-1+b1" },
    ]);
  });

  it("refuses an answer that is not a Debian name and version", () => {
    const output = `${MARK}Inst hello ($(id) Debian:12.5/stable [amd64])\n${MARK}`;
    expect(() => parseAptResolution(output, ["hello"])).toThrow(
      "apt: unexpected package or version in apt's answer: hello $(id)",
    );
  });
});
