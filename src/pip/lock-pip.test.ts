import { createServer } from "node:http";
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Definition } from "../definition/definition.js";
import { lockPip } from "./lock-pip.js";

const SHA = "a".repeat(64);

/** A PEP 503 page per project, on 127.0.0.1; `/simple/broken/` answers 500. */
function startIndex(): Promise<{ server: Server; url: string }> {
  const pages: Record<string, string> = {
    "/simple/wheel/": [
      `<a href="../../files/wheel-0.38.4-py3-none-any.whl#sha256=${SHA}">wheel-0.38.4-py3-none-any.whl</a>`,
      `<a href="/files/wheel-0.38.4.tar.gz#sha256=${SHA}">wheel-0.38.4.tar.gz</a>`,
    ].join("\n"),
    "/simple/native/": `<a href="/files/native-1.0-cp311-cp311-linux_x86_64.whl#sha256=${SHA}">native-1.0-cp311-cp311-linux_x86_64.whl</a>`,
    "/simple/nohash/": `<a href="/files/nohash-1.0-py3-none-any.whl">nohash-1.0-py3-none-any.whl</a>`,
  };
  const server = createServer((request, response) => {
    const path = request.url ?? "/";
    if (path === "/simple/broken/") response.writeHead(500).end("no");
    else if (pages[path] === undefined) response.writeHead(404).end("none");
    else response.writeHead(200, { "content-type": "text/html" }).end(pages[path]);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}/simple` });
    }),
  );
}

function definition(requirements: readonly string[], indexUrl?: string): Definition {
  return {
    kind: "envforge",
    tags: {},
    base: { kind: "image", image: { repository: "base" }, defaulted: false },
    pip: {
      requirements: requirements.map((requirement) => ({
        name: requirement.split(/[=<>]/)[0] ?? requirement,
        requirement,
        hashes: [],
      })),
      constraints: [],
      ...(indexUrl === undefined ? {} : { indexUrl }),
      extraIndexUrls: [],
      findLinks: [],
      pre: false,
    },
    apt: [],
    variables: {},
    platform: "linux-64",
    python: { userManagedDependencies: false, interpreterPath: "python" },
  };
}

describe("lockPip", () => {
  let index: { server: Server; url: string };
  beforeAll(async () => {
    index = await startIndex();
  });
  afterAll(() => new Promise<void>((done) => index.server.close(() => done())));

  it("locks an exact pin to its pure wheel, with the link's sha256 and an absolute URL", async () => {
    const result = await lockPip({ definition: definition(["Wheel==0.38.4"], index.url) });
    expect(result).toEqual({
      kind: "locked",
      pip: [
        {
          name: "wheel",
          version: "0.38.4",
          url: `${index.url.replace("/simple", "")}/files/wheel-0.38.4-py3-none-any.whl`,
          sha256: SHA,
        },
      ],
    });
  });

  it("uses the default index when the definition names none, the definition's own first", async () => {
    const fromDefault = await lockPip({
      definition: definition(["wheel==0.38.4"]),
      defaultIndexUrl: index.url,
    });
    expect(fromDefault).toMatchObject({ kind: "locked", pip: [{ name: "wheel" }] });
    // The definition's --index-url wins: the default (a closed loopback port) is never asked.
    const own = await lockPip({
      definition: definition(["wheel==0.38.4"], index.url),
      defaultIndexUrl: "http://127.0.0.1:9/simple",
    });
    expect(own).toMatchObject({ kind: "locked", pip: [{ name: "wheel" }] });
  });

  it.each<[string, readonly string[], string | undefined, string]>([
    [
      "no index",
      ["wheel==0.38.4"],
      undefined,
      "the pip requirements name no --index-url and no default index is set",
    ],
    [
      "a range",
      ["wheel>=0.38"],
      "INDEX",
      'pip requirement "wheel>=0.38" is not an exact pin (name==version); only those are locked at registration so far',
    ],
    [
      "a missing project",
      ["absent==1.0"],
      "INDEX",
      "pip absent==1.0 was not found: INDEX/absent/ (404)",
    ],
    [
      "only a native wheel",
      ["native==1.0"],
      "INDEX",
      "pip native==1.0 was not found: INDEX/native/ (no pure-Python wheel of 1.0)",
    ],
    [
      "a link without sha256",
      ["nohash==1.0"],
      "INDEX",
      "pip index INDEX/nohash/ gives no sha256 for nohash-1.0-py3-none-any.whl",
    ],
    ["an index that fails", ["broken==1.0"], "INDEX", "pip index INDEX/broken/ answered 500"],
  ])("is unavailable for %s", async (_title, requirements, indexUrl, reason) => {
    const url = indexUrl?.replace("INDEX", index.url);
    const result = await lockPip({ definition: definition(requirements, url) });
    expect(result).toEqual({ kind: "unavailable", reason: reason.replaceAll("INDEX", index.url) });
  });
});
