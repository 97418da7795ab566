// The layering of ARCHITECTURE.md, enforced: every module may import only modules of its own
// layer or of lower ones, and the pure core (definition/, recipe/) may not touch I/O at all.
const layers = [
  ["errors"],
  ["definition"],
  ["recipe"],
  ["host", "image", "conda", "pip"],
  ["workspace", "builders", "jobs"],
  ["cli", "api", "sdk", "web"],
];

const forbidden = layers.slice(0, -1).map((own, i) => {
  const higher = layers.slice(i + 1).flat();
  return {
    name: `no-upward-from-${own.join("-")}`,
    comment: `${own.join(", ")} must not import a higher layer (${higher.join(", ")})`,
    severity: "error",
    from: { path: `^src/(${own.join("|")})/` },
    to: { path: `^src/(${higher.join("|")})/` },
  };
});

module.exports = {
  forbidden: [
    ...forbidden,
    {
      name: "pure-core-no-io",
      comment: "definition/ and recipe/ are pure: read files at the edges and pass the content in",
      severity: "error",
      from: { path: "^src/(definition|recipe)/", pathNot: "\\.test\\.ts$" },
      to: {
        dependencyTypes: ["core"],
        path: "^(node:)?(fs|fs/promises|child_process|net|http|https|http2|dgram|os|process|worker_threads|cluster)$",
      },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "tests-stay-out-of-src-imports",
      comment: "production code must not import test helpers",
      severity: "error",
      from: { path: "^src/", pathNot: "\\.test\\.ts$" },
      to: { path: "(^test/|\\.test\\.ts$)" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
