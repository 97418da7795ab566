/**
 * Run as a separate process by package-cache.test.ts: fetches one package into a cache folder
 * and prints what it got, so two real processes can race for the same package.
 * Usage: node --import tsx cache-worker.ts <cache dir> <package ref as JSON>
 */
import * as z from "zod";
import { PackageCache } from "../../src/conda/package-cache.js";

const ref = z
  .object({ name: z.string(), filename: z.string(), url: z.string(), sha256: z.string() })
  .parse(JSON.parse(process.argv[3] ?? "{}"));
const cached = await new PackageCache({ dir: process.argv[2] ?? "" }).get(ref);
process.stdout.write(
  `${JSON.stringify({ fetched: cached.fetched, extractedDir: cached.extractedDir })}\n`,
);
