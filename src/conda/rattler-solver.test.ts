import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChannelServer } from "./channel-server.js";
import type { ChannelServer } from "./channel-server.js";
import { RattlerFailure, workerRattlerSolver } from "./rattler-solver.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
let server: ChannelServer;

beforeAll(async () => {
  server = await startChannelServer({
    root: resolve(repoRoot, "../shared/testdata/repodata/defaults-2018"),
  });
});

afterAll(async () => {
  await server.close();
});

const request = (specs: string[]) => ({
  specs,
  channels: [`${server.url}/`],
  platforms: ["linux-64", "noarch"],
  locked: [],
});

describe("workerRattlerSolver", () => {
  it("solves on a worker, reports rattler's refusal, and survives a rattler panic", async () => {
    const solver = workerRattlerSolver();
    try {
      const solved = await solver.solve(request(["zlib"]));
      expect(solved.map((p) => p.packageName).sort()).toEqual(["libgcc-ng", "zlib"]);

      const refused = await solver.solve(request(["numpy=99"])).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RattlerFailure);
      expect(refused).toMatchObject({
        crashed: false,
        message: "Cannot solve the request because of: No candidates were found for numpy 99.*.\n",
      });

      // rattler 0.3.5 panics on a channel inside a spec (it asks WASM for a current directory).
      const crashed = await solver.solve(request(["defaults::zlib"])).catch((e: unknown) => e);
      expect(crashed).toMatchObject({
        crashed: true,
        message:
          "the conda solver crashed: rattler panicked: Could not get current directory: " +
          'Error { kind: Unsupported, message: "operation not supported on this platform" }',
      });

      const again = await solver.solve(request(["zlib"]));
      expect(again.map((p) => p.packageName)).toContain("zlib");
    } finally {
      await solver.close();
    }
  }, 60_000);

  it("answers concurrent solves on one worker, each with its own result", async () => {
    const solver = workerRattlerSolver();
    try {
      const [zlib, refused, xz] = await Promise.allSettled([
        solver.solve(request(["zlib"])),
        solver.solve(request(["nosuchpackage"])),
        solver.solve(request(["xz"])),
      ]);
      expect(zlib.status === "fulfilled" && zlib.value.map((p) => p.packageName)).toContain("zlib");
      expect(refused.status).toBe("rejected");
      expect(xz.status === "fulfilled" && xz.value.map((p) => p.packageName)).toContain("xz");
    } finally {
      await solver.close();
    }
  }, 60_000);
});
