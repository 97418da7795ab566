/**
 * Test helpers for installer tests: a channel folder served over HTTP on 127.0.0.1 (with a
 * request log and switches to fail requests), and locks made from package files in it.
 */
import { afterEach, beforeEach } from "vitest";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import type { Lock, LockedCondaPackage } from "../../src/definition/lock.js";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const TESTDATA = resolve(REPO_ROOT, "../shared/testdata");
export const RATTLER_PACKAGES = join(TESTDATA, "packages/rattler");
export const CONDA_PACKAGES = join(TESTDATA, "packages/conda");

export interface ServedFolder {
  readonly url: string;
  /** Paths requested, in order. */
  readonly requests: string[];
  /** Answer this many next requests with this status before serving files again. */
  failNext(count: number, status: number): void;
  close(): Promise<void>;
}

export async function serveFolder(root: string): Promise<ServedFolder> {
  const requests: string[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 500 };
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname);
    requests.push(path);
    if (failures.count > 0) {
      failures = { ...failures, count: failures.count - 1 };
      response.writeHead(failures.status).end();
      return;
    }
    const file = resolve(root, `.${path}`);
    stat(file)
      .then((info) => {
        if (!file.startsWith(root) || !info.isFile()) throw new Error("not found");
        response.writeHead(200, { "content-length": info.size });
        createReadStream(file).pipe(response);
      })
      .catch(() => response.writeHead(404).end());
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext: (count, status) => {
      failures = { count, status };
    },
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** Copies package files into `<channel>/<subdir>/` and returns their lock entries. */
export async function addToChannel(
  channel: string,
  channelUrl: string,
  files: readonly {
    readonly path: string;
    readonly depends?: readonly string[];
    readonly subdir?: string;
  }[],
): Promise<LockedCondaPackage[]> {
  const packages: LockedCondaPackage[] = [];
  for (const file of files) {
    const filename = basename(file.path);
    const subdir = file.subdir ?? "noarch";
    await mkdir(join(channel, subdir), { recursive: true });
    await copyFile(file.path, join(channel, subdir, filename));
    const bytes = await readFile(file.path);
    const dist = filename.replace(/\.(conda|tar\.bz2)$/, "");
    const parts = dist.split("-");
    const build = parts.pop() ?? "";
    const version = parts.pop() ?? "";
    packages.push({
      name: parts.join("-"),
      version,
      build,
      buildNumber: Number(/_(\d+)$/.exec(build)?.[1] ?? 0),
      channel: channelUrl,
      subdir,
      filename,
      url: `${channelUrl}/${subdir}/${filename}`,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      md5: createHash("md5").update(bytes).digest("hex"),
      size: bytes.length,
      depends: file.depends ?? [],
      constrains: [],
    });
  }
  return packages;
}

export function lockOf(conda: readonly LockedCondaPackage[], platform = "linux-64"): Lock {
  return {
    version: 1,
    definitionHash: `envforge_${"0".repeat(32)}`,
    channels: [],
    platforms: [{ platform, virtualPackages: [], conda, pip: [] }],
  };
}

export interface TempDirs {
  readonly root: string;
  readonly channel: string;
  readonly cache: string;
  readonly prefix: string;
  cleanup(): Promise<void>;
}

export async function tempDirs(): Promise<TempDirs> {
  const root = await mkdtemp(join(tmpdir(), "envforge-install-"));
  return {
    root,
    channel: join(root, "channel"),
    cache: join(root, "cache"),
    prefix: join(root, "env"),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/**
 * A new temporary folder with a channel served from it on 127.0.0.1, for each test of the file
 * (made in beforeEach, closed and removed in afterEach); read `dirs` and `server` inside tests.
 */
export function channelPerTest(): { readonly dirs: TempDirs; readonly server: ServedFolder } {
  let dirs: TempDirs | undefined;
  let server: ServedFolder | undefined;
  beforeEach(async () => {
    dirs = await tempDirs();
    server = await serveFolder(dirs.channel);
  });
  afterEach(async () => {
    await server?.close();
    await dirs?.cleanup();
  });
  const made = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("channelPerTest: read inside a test");
    return value;
  };
  return {
    get dirs() {
      return made(dirs);
    },
    get server() {
      return made(server);
    },
  };
}
