import fc from "fast-check";
import { parsePipRequirementsLine } from "pip-requirements-js";
import { describe, expect, it } from "vitest";
import { validRange } from "@renovatebot/pep440";
import { isPlainSpecifier, isSimpleMarker, parseSimpleRequirement } from "./pep508-fast.js";

/** The grammar's answer as plain data, or "invalid". */
function grammar(text: string): unknown {
  try {
    const parsed = parsePipRequirementsLine(text);
    if (parsed === null) return "invalid";
    // The fast path returns the fields envforge reads; the marker tree is not one of them.
    const { environmentMarkerTree: _tree, ...rest } = parsed as { environmentMarkerTree?: unknown };
    return rest;
  } catch {
    return "invalid";
  }
}

const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,6}$/);
const space = fc.constantFrom("", " ", "\t", "  ");
const op = fc.constantFrom(
  "==",
  ">=",
  "<=",
  "~=",
  "!=",
  "<",
  ">",
  "===",
  "=",
  "=>",
  "in",
  "not in",
);
const version = fc.stringMatching(/^[0-9a-z.*+!_-]{1,5}$/);
const variable = fc.constantFrom(
  "python_version",
  "sys_platform",
  "extra",
  "extras",
  '"3.8"',
  "'linux'",
  '"a\'b"',
  "'x§'",
  '"a\\b"',
);
const leaf = fc
  .tuple(variable, space, op, space, variable)
  .map(([a, s1, o, s2, b]) => `${a}${s1}${o}${s2}${b}`);
const marker = fc
  .array(fc.tuple(fc.constantFrom("", "(", "(("), leaf, fc.constantFrom("", ")", "))")), {
    minLength: 1,
    maxLength: 3,
  })
  .chain((parts) =>
    fc
      .array(fc.constantFrom(" and ", " or ", "and", " xor "), {
        minLength: parts.length - 1,
        maxLength: parts.length - 1,
      })
      .map((joins) =>
        parts
          .map(([open, body, close], i) => `${i === 0 ? "" : joins[i - 1]}${open}${body}${close}`)
          .join(""),
      ),
  );
const url = fc.constantFrom(
  "https://host.example/a/b-1.0-py3-none-any.whl",
  "http://h:8080/x?y=1#sha256=ab",
  "https://1.2.3.4x/p",
  "https://127.0.0.1/p",
  "https://h/%zz",
  "https://h/%2Fa",
  "ftp://h/x",
  "https://h/a b",
);
const requirement = fc
  .tuple(
    name,
    space,
    fc.option(fc.array(name, { maxLength: 3 })),
    fc.oneof(
      fc
        .array(fc.tuple(space, op, space, version), { maxLength: 3 })
        .map((specs) => specs.map(([a, o, b, v]) => `${a}${o}${b}${v}`).join(",")),
      url.map((u) => ` @ ${u}`),
    ),
    space,
    fc.option(fc.tuple(space, marker)),
  )
  .map(
    ([n, s1, extras, rest, s2, m]) =>
      `${n}${s1}${extras === null ? "" : `[${extras.join(", ")}]`}${rest}${s2}${m === null ? "" : `;${m[0]}${m[1]}`}`,
  );

describe("parseSimpleRequirement", () => {
  it("agrees with the grammar on every line it reads (and reads most valid ones)", () => {
    let read = 0;
    fc.assert(
      fc.property(requirement, (text) => {
        const fast = parseSimpleRequirement(text);
        if (fast === undefined) return;
        read += 1;
        expect(grammar(text)).toEqual(JSON.parse(JSON.stringify(fast)));
      }),
      { numRuns: 2000 },
    );
    expect(read).toBeGreaterThan(30);
  });

  it.each([
    ["numpy", { type: "ProjectName", name: "numpy" }],
    [
      'numpy[x, y] >= 1.2 , <2 ; python_version >= "3.8" and (os_name == "posix" or extra == "a")',
      {
        type: "ProjectName",
        name: "numpy",
        extras: ["x", "y"],
        versionSpec: [
          { operator: ">=", version: "1.2" },
          { operator: "<", version: "2" },
        ],
      },
    ],
    [
      "pkg @ https://host.example/pkg-1.0-py3-none-any.whl",
      { type: "ProjectURL", name: "pkg", url: "https://host.example/pkg-1.0-py3-none-any.whl" },
    ],
  ])("reads %j", (text, expected) => {
    expect(parseSimpleRequirement(text)).toEqual(expected);
    expect(grammar(text)).toEqual(expected);
  });

  it.each([
    "x>=1,",
    "x ; ",
    "x ; python_version",
    'x ; (os_name == "a"',
    "x===1",
    'x ; os_name === "a"',
  ])("leaves %j to the grammar", (text) => {
    expect(parseSimpleRequirement(text)).toBeUndefined();
  });

  it("reads a long marker in linear time", () => {
    const long = Array.from({ length: 150 }, () => 'os_name == "posix"').join(" and ");
    expect(isSimpleMarker(long)).toBe(true);
    const start = performance.now();
    for (let i = 0; i < 1000; i++) parseSimpleRequirement(`p>=1; ${long}`);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe("isPlainSpecifier", () => {
  it("never calls a specifier plain that the PEP 440 library refuses", () => {
    const version = fc
      .tuple(
        fc.option(fc.constantFrom("1!", "0!")),
        fc.array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom("", "a1", "b2", "rc3", "c1", ".post1", ".dev0", "+local", ".*", "-1", "x"),
      )
      .map(([epoch, release, tail]) => `${epoch ?? ""}${release.join(".")}${tail}`);
    const operator = fc.constantFrom("==", "!=", "<=", ">=", "<", ">", "~=");
    let plain = 0;
    fc.assert(
      fc.property(operator, version, (op, v) => {
        if (!isPlainSpecifier({ operator: op, version: v })) return;
        plain += 1;
        expect(validRange(`${op}${v}`), `${op}${v}`).toBeTruthy();
      }),
      { numRuns: 3000 },
    );
    expect(plain).toBeGreaterThan(500);
    expect(isPlainSpecifier({ operator: "~=", version: "1" })).toBe(false);
    expect(isPlainSpecifier({ operator: ">=", version: "1.0.*" })).toBe(false);
  });
});
