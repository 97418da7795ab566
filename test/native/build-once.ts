/**
 * One native build in a process of its own, for the reproducibility test: reads a request
 * (definition, hash, lock, registry, home) from the JSON file named by argv[2] and prints the
 * outcome as JSON, with the time this process's clock said when it started (`startedAt`), so a
 * run under another clock (faketime) can show it had one. Run with `node --import tsx`, on the
 * host or inside a container.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { NativeBuilder } from "../../src/builders/native/native-builder.js";
import { PackageCache } from "../../src/conda/package-cache.js";
import type { Definition } from "../../src/definition/definition.js";
import type { Lock } from "../../src/definition/lock.js";
import { openRegistry } from "../../src/image/index.js";

interface Request {
  readonly definition: Definition;
  readonly definitionHash: string;
  readonly lock: Lock;
  readonly registry: string;
  readonly home: string;
}

const startedAt = new Date().toISOString();
const request = JSON.parse(await readFile(process.argv[2] ?? "", "utf8")) as Request;
const builder = new NativeBuilder({
  registry: openRegistry({ env: { HOME: request.home } }),
  packageCache: new PackageCache({ dir: join(request.home, "cache", "pkgs") }),
  workDir: request.home,
});
const outcome = await builder.build({
  definition: request.definition,
  definitionHash: request.definitionHash,
  lock: request.lock,
  registry: request.registry,
});
process.stdout.write(`${JSON.stringify({ ...outcome, startedAt })}\n`);
