import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isValidPipName, normalizePipName } from "./pep503.js";

describe("normalizePipName", () => {
  it.each([
    ["numpy", "numpy"],
    ["NumPy", "numpy"],
    ["Foo.Bar__baz", "foo-bar-baz"],
    ["zope.interface", "zope-interface"],
    ["typing_extensions", "typing-extensions"],
    ["a-_.-b", "a-b"],
    ["PyYAML", "pyyaml"],
  ])("%s -> %s", (name, expected) => {
    expect(normalizePipName(name)).toBe(expected);
  });

  const names = fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/);

  it("is idempotent", () => {
    fc.assert(
      fc.property(
        names,
        (name) => normalizePipName(normalizePipName(name)) === normalizePipName(name),
      ),
    );
  });

  it("keeps a valid name valid and leaves no `_`, `.` or upper case", () => {
    fc.assert(
      fc.property(names, (name) => {
        const normal = normalizePipName(name);
        return isValidPipName(normal) && !/[_.A-Z]|--/.test(normal);
      }),
    );
  });

  it("maps names that differ only in case and separators to the same key", () => {
    fc.assert(
      fc.property(names, (name) => {
        const variant = name.toUpperCase().replace(/-/g, "_.");
        return normalizePipName(variant) === normalizePipName(name);
      }),
    );
  });
});

describe("isValidPipName", () => {
  it.each([
    ["numpy", true],
    ["a", true],
    ["zope.interface", true],
    ["A1_b-2", true],
    ["-numpy", false],
    ["numpy.", false],
    ["num py", false],
    ["", false],
    ["numpy>=1", false],
  ])("%s -> %s", (name, expected) => {
    expect(isValidPipName(name)).toBe(expected);
  });
});
