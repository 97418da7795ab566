/**
 * This kind of machine's local wheel mirror (torch 2.13.0+cpu, torchvision, numpy, pandas, scipy,
 * requests and their dependencies, all cp311 manylinux), served as one PEP 503 index on
 * 127.0.0.1: the `simple/` folders `pip config list` names (`file:///opt/pypi/simple`,
 * `file:///opt/pypi-more/simple`, pages linking `../../files/<wheel>#sha256=…`) merged with the
 * find-links folder `/opt/wheels` (sha256 computed once per file). Only files are served: no
 * test makes pip read those folders directly. Absent on machines without the mirror: then
 * mirrorProblem() says why and the tests that need it skip.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, readdir, stat } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";

export const MIRROR = {
  simple: ["/opt/pypi", "/opt/pypi-more"],
  findLinks: "/opt/wheels",
} as const;

export interface MirrorIndex {
  /** `http://127.0.0.1:<port>/simple`. */
  readonly url: string;
  close(): Promise<void>;
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** Undefined when the mirror is here; otherwise what is missing. */
export async function mirrorProblem(): Promise<string | undefined> {
  const wheels = await readdir(MIRROR.findLinks).catch(() => []);
  if (!wheels.some((file) => /^torch-2\.13\.0\+cpu-.*\.whl$/.test(file))) {
    return `no local wheel mirror: ${MIRROR.findLinks} has no torch-2.13.0+cpu wheel`;
  }
  for (const root of MIRROR.simple) {
    const present = await stat(join(root, "simple")).catch(() => undefined);
    if (present === undefined) return `no local wheel mirror: ${root}/simple is missing`;
  }
  return undefined;
}

export async function startMirrorIndex(): Promise<MirrorIndex> {
  const hashes = new Map<string, Promise<string>>();
  const sha256Of = (path: string): Promise<string> => {
    let known = hashes.get(path);
    if (known === undefined) {
      known = readFile(path).then((bytes) => createHash("sha256").update(bytes).digest("hex"));
      hashes.set(path, known);
    }
    return known;
  };
  const findLinks = (await readdir(MIRROR.findLinks)).filter((file) => file.endsWith(".whl"));

  const projectPage = async (project: string): Promise<string | undefined> => {
    const links: string[] = [];
    for (const [i, root] of MIRROR.simple.entries()) {
      const html = await readFile(join(root, "simple", project, "index.html"), "utf8").catch(
        () => undefined,
      );
      if (html === undefined) continue;
      for (const match of html.matchAll(
        /<a\s+href="\.\.\/\.\.\/files\/([^"#]+)(#[^"]*)?">([^<]*)<\/a>/g,
      )) {
        links.push(
          `<a href="/files/${i}/${match[1] ?? ""}${match[2] ?? ""}">${match[3] ?? ""}</a>`,
        );
      }
    }
    for (const file of findLinks.filter((f) => normalize(f.split("-")[0] ?? "") === project)) {
      const sha256 = await sha256Of(join(MIRROR.findLinks, file));
      links.push(`<a href="/files/links/${encodeURIComponent(file)}#sha256=${sha256}">${file}</a>`);
    }
    return links.length === 0
      ? undefined
      : `<!DOCTYPE html><html><body>\n${links.join("\n")}\n</body></html>\n`;
  };

  const server = createServer((request, response) => {
    void (async () => {
      const path = decodeURIComponent(new URL(request.url ?? "/", "http://mirror").pathname);
      const project = /^\/simple\/([^/]+)\/?$/.exec(path)?.[1];
      if (project !== undefined) {
        const page = await projectPage(normalize(project));
        if (page === undefined) response.writeHead(404).end("no such project");
        else response.writeHead(200, { "content-type": "text/html" }).end(page);
        return;
      }
      const file = /^\/files\/(\d+|links)\/([^/]+)$/.exec(path);
      const folder =
        file?.[1] === "links"
          ? MIRROR.findLinks
          : file?.[1] === undefined
            ? undefined
            : join(MIRROR.simple[Number(file[1])] ?? "/nonexistent", "files");
      const name = file?.[2];
      if (folder === undefined || name === undefined || name.startsWith(".")) {
        response.writeHead(404).end("not found");
        return;
      }
      const full = join(folder, name);
      const info = await stat(full).catch(() => undefined);
      if (info === undefined) {
        response.writeHead(404).end("not found");
        return;
      }
      response.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": String(info.size),
      });
      createReadStream(full).pipe(response);
    })().catch(() => response.writeHead(500).end("mirror error"));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/simple`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
