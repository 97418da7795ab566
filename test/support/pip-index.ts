/**
 * A PEP 503 "simple" index on 127.0.0.1 serving Debian's real wheels (wheel 0.38.4, pip 23.0.1,
 * setuptools 66.1.1), unpacked by scripts/ci/wheels.sh. Optionally requires HTTP basic auth, to
 * test that index credentials reach pip through the netrc build secret.
 */
import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { CI_CACHE } from "./registry.js";

export const WHEELS_DIR = process.env["ENVFORGE_TEST_WHEELS"] ?? join(CI_CACHE, "wheels");

export interface PipIndex {
  /** `http://127.0.0.1:<port>/simple` (without credentials). */
  readonly url: string;
  readonly port: number;
  /** Paths requested, with the status answered. */
  readonly requests: readonly { readonly path: string; readonly status: number }[];
  close(): Promise<void>;
}

/** PEP 503 name normalisation. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** Undefined when the wheels are there; otherwise why not. */
export async function pipIndexProblem(): Promise<string | undefined> {
  const names = await readdir(WHEELS_DIR).catch(() => []);
  return names.some((name) => name.startsWith("wheel-"))
    ? undefined
    : `no wheels in ${WHEELS_DIR}; run scripts/ci/wheels.sh`;
}

export async function startPipIndex(
  options: {
    readonly login?: { readonly user: string; readonly password: string };
    /** Default 0: any free port. */
    readonly port?: number;
    /** More files to serve (wheels and sdists the test built), after Debian's wheels. */
    readonly files?: readonly { readonly file: string; readonly bytes: Buffer }[];
    /** False: serve only `files`. Default true. */
    readonly debianWheels?: boolean;
  } = {},
): Promise<PipIndex> {
  const wheels = new Map<string, { file: string; bytes: Buffer; sha256: string }[]>();
  const add = (file: string, bytes: Buffer): void => {
    const project = normalize(file.split("-")[0] ?? file);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    wheels.set(project, [...(wheels.get(project) ?? []), { file, bytes, sha256 }]);
  };
  if (options.debianWheels !== false) {
    for (const file of (await readdir(WHEELS_DIR)).filter((name) => name.endsWith(".whl")).sort()) {
      add(file, await readFile(join(WHEELS_DIR, file)));
    }
  }
  for (const extra of options.files ?? []) add(extra.file, extra.bytes);
  const expected =
    options.login === undefined
      ? undefined
      : `Basic ${Buffer.from(`${options.login.user}:${options.login.password}`).toString("base64")}`;
  const requests: { path: string; status: number }[] = [];
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://index").pathname;
    const answer = (status: number, body: string | Buffer, type = "text/html"): void => {
      requests.push({ path, status });
      response.writeHead(status, {
        "content-type": type,
        ...(status === 401 ? { "www-authenticate": 'Basic realm="envforge-test"' } : {}),
      });
      response.end(body);
    };
    if (expected !== undefined && request.headers.authorization !== expected) {
      answer(401, "login required");
      return;
    }
    const page = (links: string[]): string =>
      `<!DOCTYPE html>\n<html><body>\n${links.join("\n")}\n</body></html>\n`;
    if (path === "/simple/" || path === "/simple") {
      answer(200, page([...wheels.keys()].map((p) => `<a href="/simple/${p}/">${p}</a>`)));
      return;
    }
    const project = /^\/simple\/([^/]+)\/?$/.exec(path)?.[1];
    if (project !== undefined) {
      const files = wheels.get(normalize(project));
      if (files === undefined) answer(404, "no such project");
      else
        answer(
          200,
          page(files.map((w) => `<a href="/files/${w.file}#sha256=${w.sha256}">${w.file}</a>`)),
        );
      return;
    }
    const file = /^\/files\/([^/]+)$/.exec(path)?.[1];
    const wheel = [...wheels.values()].flat().find((w) => w.file === file);
    if (wheel !== undefined) answer(200, wheel.bytes, "application/octet-stream");
    else answer(404, "not found");
  });
  // 0.0.0.0 is not needed: builds use host networking, so the build reaches 127.0.0.1.
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/simple`,
    port,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
