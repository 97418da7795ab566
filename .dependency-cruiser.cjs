// The layering of ARCHITECTURE.md, enforced: every module may import only modules of its own
// layer or of lower ones, and the pure core (definition/, recipe/) may not touch I/O at all.
const layers = [
  ["errors"],
  ["definition"],
  ["recipe"],
  ["host", "image", "conda", "pip"],
  ["workspace", "builders", "jobs"],
  ["client"],
  ["cli", "api", "sdk", "web"],
];
const surfaces = layers[layers.length - 1];

// The HTTP contract both ends share: the API's zod schemas of requests and answers. client/'s
// HTTP adapters read answers with them; they import nothing of the server itself.
const WIRE_CONTRACT = "^src/api/(schemas|upload/upload-schema|routes/[^/]+-schemas)\\.ts$";
// `envforge serve` starts the server through this one module, and through nothing else of api/.
const SERVER_ENTRY = "^src/api/serve\\.ts$";

const forbidden = layers.slice(0, -1).map((own, i) => {
  const higher = layers.slice(i + 1).flat();
  return {
    name: `no-upward-from-${own.join("-")}`,
    comment: `${own.join(", ")} must not import a higher layer (${higher.join(", ")})`,
    severity: "error",
    from: { path: `^src/(${own.join("|")})/` },
    to: {
      path: `^src/(${higher.join("|")})/`,
      ...(own.includes("client") ? { pathNot: WIRE_CONTRACT } : {}),
    },
  };
});

// Surfaces talk to the services through client/, never through one another: the CLI and the
// SDK import no api/ internals (the CLI's `serve` starts the server through its entry).
const surfacesApart = surfaces.map((own) => ({
  name: `surfaces-apart-${own}`,
  comment: `${own}/ must not import another surface (${surfaces.filter((s) => s !== own).join(", ")}); use client/`,
  severity: "error",
  from: { path: `^src/${own}/` },
  to: {
    path: `^src/(${surfaces.filter((s) => s !== own).join("|")})/`,
    ...(own === "cli" ? { pathNot: SERVER_ENTRY } : {}),
  },
}));

module.exports = {
  forbidden: [
    ...forbidden,
    ...surfacesApart,
    {
      name: "workspace-reads-no-environment",
      comment:
        "workspace/ takes its settings from the surface's composition root; it reads no configuration or environment itself (process.env is checked by scripts/ci/environment-reads.mjs)",
      severity: "error",
      from: { path: "^src/workspace/", pathNot: "\\.test\\.ts$" },
      to: { path: "^(src/host/(config|config-file)\\.ts|(node:)?process)$" },
    },
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
      name: "web-only-http",
      comment: "the web UI speaks only the public HTTP API: web/ never imports src/",
      severity: "error",
      from: { path: "^web/" },
      to: { path: "^src/" },
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
    enhancedResolveOptions: { extensions: [".ts", ".tsx", ".js"] },
  },
};
