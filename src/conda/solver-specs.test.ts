import { describe, expect, it } from "vitest";
import type { Channel } from "./channels.js";
import { prepareSolverSpecs, withoutPinnedElsewhere } from "./solver-specs.js";

const channels: Channel[] = [
  { name: "defaults", url: "http://127.0.0.1:9/defaults" },
  { name: "pytorch", url: "http://127.0.0.1:9/pytorch" },
];

describe("prepareSolverSpecs", () => {
  it("takes channels out of specs and pins those names to the channel", () => {
    const prepared = prepareSolverSpecs({
      specs: [
        "python=3.10",
        "pytorch::pytorch>=2.0",
        "pytorch/linux-64::torchvision",
        "numpy[channel=defaults]",
        "http://127.0.0.1:9/pytorch::torchaudio",
      ],
      channels,
    });
    expect(prepared.specs).toEqual([
      "python=3.10",
      "pytorch>=2.0",
      "torchvision[subdir=linux-64]",
      "numpy",
      "torchaudio",
    ]);
    expect([...prepared.pins]).toEqual([
      ["pytorch", 1],
      ["torchvision", 1],
      ["numpy", 0],
      ["torchaudio", 1],
    ]);
  });

  it("reports channels the definition does not list and names pinned twice", () => {
    expect(() =>
      prepareSolverSpecs({
        specs: [
          "conda-forge::numpy",
          "pytorch::torch",
          "defaults::torch",
          "http://127.0.0.1:9/defaults/linux-64/zlib-1.2.11-0.tar.bz2",
        ],
        channels,
        file: "env.yml",
      }),
    ).toThrow(
      [
        `env.yml: dependencies[0]: channel "conda-forge" of this dependency is not one of the definition's channels (found "conda-forge::numpy"; allowed: defaults, pytorch)`,
        `env.yml: dependencies[2]: torch is pinned to two channels (found "defaults::torch"; allowed: one channel per package)`,
        `env.yml: dependencies[3]: a package URL cannot be a dependency to solve (found "http://127.0.0.1:9/defaults/linux-64/zlib-1.2.11-0.tar.bz2"; allowed: the package's name and version, with its channel in channels:)`,
      ].join("\n"),
    );
  });
});

describe("withoutPinnedElsewhere", () => {
  const body = Buffer.from(
    JSON.stringify({
      packages: { "torch-1-0.tar.bz2": { name: "torch" }, "zlib-1-0.tar.bz2": { name: "zlib" } },
      "packages.conda": { "torch-2-0.conda": { name: "torch" } },
    }),
  );

  it("drops names pinned to another channel and keeps the rest", () => {
    const pins = new Map([["torch", 1]]);
    expect(JSON.parse(withoutPinnedElsewhere(body, 0, pins).toString())).toEqual({
      packages: { "zlib-1-0.tar.bz2": { name: "zlib" } },
      "packages.conda": {},
    });
    expect(withoutPinnedElsewhere(body, 1, pins)).toBe(body);
  });
});
