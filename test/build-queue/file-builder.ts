/**
 * A small real ImageBuilder for the queue tests: it "builds" by writing the image's manifest (the
 * definition hash, the lock, the steps) into a folder, one file per image hash, and gives the
 * sha256 of those bytes as the digest. Every build it starts leaves a marker file, so tests count
 * real builds across processes. Steps take `stepMs` each and stop when the signal aborts; a conda
 * dependency named `fail-here` makes step 2 fail as an engine step would.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { BuildOutcome, BuildRequest, ImageBuilder } from "../../src/builders/image-builder.js";
import { BuildFailedError } from "../../src/builders/image-builder.js";
import { imageHash } from "../../src/definition/image-hash.js";

export interface FileBuilderOptions {
  readonly dir: string;
  readonly stepMs?: number;
  readonly steps?: number;
}

export function fileBuilder(options: FileBuilderOptions): ImageBuilder {
  const stepMs = options.stepMs ?? 5;
  const steps = options.steps ?? 3;
  return {
    async build(request: BuildRequest): Promise<BuildOutcome> {
      const started = Date.now();
      const hash = imageHash(request.definitionHash, request.lock);
      const imageName = `${request.registry}/${hash}`;
      await mkdir(join(options.dir, "started"), { recursive: true });
      await writeFile(join(options.dir, "started", `${hash}-${randomUUID()}`), `${process.pid}\n`);
      const existing = await readFile(join(options.dir, `${hash}.json`), "utf8").catch(() => "");
      if (existing !== "") {
        request.onLog?.({ stream: "envforge", text: `${imageName} exists; nothing to build` });
        return {
          imageName,
          digest: digestOf(existing),
          cacheHit: true,
          pushedBlobs: 0,
          durationMs: 0,
        };
      }
      const lines: string[] = [];
      const dependencies = request.definition.conda?.dependencies ?? [];
      for (let step = 1; step <= steps; step += 1) {
        const name = `[${step}/${steps}] RUN step ${step}`;
        request.onLog?.({ stream: "step", text: name });
        await sleep(
          stepMs,
          undefined,
          request.signal === undefined ? {} : { signal: request.signal },
        );
        const line = `step ${step} of ${hash} done`;
        lines.push(line);
        request.onLog?.({ stream: "stdout", text: line });
        if (step === 2 && dependencies.some((d) => d.startsWith("fail-here"))) {
          request.onLog?.({ stream: "stderr", text: "fail-here: no such package" });
          throw new BuildFailedError("process exited with code 1", {
            step: name,
            lastLines: [...lines, "fail-here: no such package"],
          });
        }
      }
      const manifest = JSON.stringify({ definitionHash: request.definitionHash, hash, lines });
      await writeFile(join(options.dir, `${hash}.json`), manifest);
      return {
        imageName,
        digest: digestOf(manifest),
        cacheHit: false,
        pushedBlobs: 1,
        durationMs: Date.now() - started,
      };
    },
  };
}

/** How many builds were started, and which images exist. */
export async function builderRecord(
  dir: string,
): Promise<{ readonly started: number; readonly images: readonly string[] }> {
  const started = await readdir(join(dir, "started")).catch(() => []);
  const images = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith(".json")).sort();
  return { started: started.length, images };
}

export function digestOf(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}
