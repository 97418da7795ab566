import { describe, expect, it } from "vitest";
import {
  replaceBinaryPlaceholder,
  replaceTextPlaceholder,
  shortenLongShebang,
} from "./prefix-replace.js";

const PH = "/opt/anaconda1anaconda2anaconda3";

describe("replaceTextPlaceholder", () => {
  it.each([
    {
      name: "every occurrence",
      input: `a=${PH}\nb=${PH}/lib ${PH}\n`,
      prefix: "/env",
      output: "a=/env\nb=/env/lib /env\n",
    },
    { name: "no placeholder", input: "plain\n", prefix: "/env", output: "plain\n" },
    {
      name: "a short shebang",
      input: `#!${PH}/bin/python -u\nx\n`,
      prefix: "/env",
      output: "#!/env/bin/python -u\nx\n",
    },
    {
      name: "a shebang over 127 bytes becomes /usr/bin/env",
      input: `#!${PH}/bin/python3.11 -E\nprint(1)\n`,
      prefix: `/${"d".repeat(120)}`,
      output: "#!/usr/bin/env python3.11 -E\nprint(1)\n",
    },
    {
      name: "a prefix with a space in the shebang becomes /usr/bin/env",
      input: `#!${PH}/bin/perl\nuse ${PH};\n`,
      prefix: "/my env",
      output: "#!/usr/bin/env perl\nuse /my env;\n",
    },
  ])("replaces $name", ({ input, prefix, output }) => {
    expect(replaceTextPlaceholder(Buffer.from(input), PH, prefix).toString()).toBe(output);
  });
});

describe("shortenLongShebang", () => {
  it("leaves files without a shebang alone", () => {
    const data = Buffer.from(`x${"a".repeat(200)}\n`);
    expect(shortenLongShebang(data)).toBe(data);
  });
});

describe("replaceBinaryPlaceholder", () => {
  const options = { label: "pkg: lib/x.so" };

  it("pads each C string with NULs so the length and later offsets stay", () => {
    const input = Buffer.from(`\x01${PH}/a:${PH}/b\0\x02${PH}\0\x03`, "latin1");
    const out = replaceBinaryPlaceholder(input, PH, "/e", options);
    const shrink = PH.length - 2;
    expect(out.length).toBe(input.length);
    expect(out.toString("latin1")).toBe(
      `\x01/e/a:/e/b${"\0".repeat(2 * shrink)}\0\x02/e${"\0".repeat(shrink)}\0\x03`,
    );
  });

  it("leaves a placeholder with no NUL after it alone, as conda does", () => {
    const input = Buffer.from(`end ${PH}`);
    expect(replaceBinaryPlaceholder(input, PH, "/e", options).equals(input)).toBe(true);
  });

  it("refuses a target prefix longer than the placeholder", () => {
    expect(() =>
      replaceBinaryPlaceholder(Buffer.from(`${PH}\0`), PH, `/${"x".repeat(40)}`, options),
    ).toThrow(
      `target-prefix: pkg: lib/x.so: the target prefix is longer than the package's binary placeholder, so it cannot be written into this binary file; choose a shorter target prefix (found "/${"x".repeat(40)}" (41 bytes); allowed: at most 32 bytes)`,
    );
  });

  it("accepts a long prefix when the file does not hold the placeholder", () => {
    const input = Buffer.from("nothing\0");
    expect(replaceBinaryPlaceholder(input, PH, `/${"x".repeat(40)}`, options).equals(input)).toBe(
      true,
    );
  });
});
