/**
 * Where a native image goes besides a registry: an OCI image-layout folder (image-spec
 * image-layout.md: `oci-layout`, `index.json`, `blobs/sha256/<hex>`) and a `docker load` archive
 * (`manifest.json` naming the config and the layer blobs; Docker decompresses gzip layers itself).
 * Both hold every blob, base layers included, written in a fixed order with fixed times.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, writeFile, copyFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as tarStream from "tar-stream";
import type { Descriptor } from "./image-config.js";
import { OCI_INDEX, OCI_MANIFEST } from "./image-config.js";
import { pathExists } from "../../host/path-exists.js";

/** A blob of the image: its descriptor and a file holding its bytes. */
export interface LocalBlob extends Descriptor {
  readonly path: string;
}

export interface BuiltImage {
  readonly manifest: Uint8Array;
  readonly manifestDigest: string;
  readonly config: LocalBlob;
  readonly layers: readonly LocalBlob[];
}

/** Writes (or adds to) an OCI image-layout folder; `reference` becomes the ref.name annotation. */
export async function writeOciLayout(
  dir: string,
  image: BuiltImage,
  reference: string,
): Promise<void> {
  const blobs = join(dir, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  for (const blob of [image.config, ...image.layers]) {
    const target = join(blobs, blob.digest.slice("sha256:".length));
    if (!(await pathExists(target))) await copyFile(blob.path, target);
  }
  await writeFile(join(blobs, image.manifestDigest.slice("sha256:".length)), image.manifest);
  await writeFile(join(dir, "oci-layout"), `${JSON.stringify({ imageLayoutVersion: "1.0.0" })}\n`);
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      {
        mediaType: OCI_MANIFEST,
        digest: image.manifestDigest,
        size: image.manifest.length,
        annotations: { "org.opencontainers.image.ref.name": reference },
      },
    ],
  };
  await writeFile(join(dir, "index.json"), `${JSON.stringify(index)}\n`);
}

/** A `docker load` archive of the image, tagged `repoTag`, as a stream. */
export function dockerArchive(image: BuiltImage, repoTag: string): Readable {
  const pack = tarStream.pack();
  const mtime = new Date(0);
  const header = { mtime, uid: 0, gid: 0, uname: "", gname: "", mode: 0o644 };
  const configName = `blobs/sha256/${image.config.digest.slice("sha256:".length)}`;
  const layerNames = image.layers.map((l) => `blobs/sha256/${l.digest.slice("sha256:".length)}`);
  const manifest = [{ Config: configName, RepoTags: [repoTag], Layers: layerNames }];
  const fill = async (): Promise<void> => {
    const seen = new Set<string>();
    for (const blob of [image.config, ...image.layers]) {
      if (seen.has(blob.digest)) continue;
      seen.add(blob.digest);
      await new Promise<void>((resolve, reject) => {
        const name = `blobs/sha256/${blob.digest.slice("sha256:".length)}`;
        const sink = pack.entry({ ...header, name, size: blob.size }, (error) =>
          error ? reject(error) : resolve(),
        );
        pipeline(createReadStream(blob.path), sink).catch(reject);
      });
    }
    await new Promise<void>((resolve, reject) => {
      pack.entry(
        { ...header, name: "manifest.json" },
        Buffer.from(JSON.stringify(manifest)),
        (error) => (error ? reject(error) : resolve()),
      );
    });
    pack.finalize();
  };
  fill().catch((error: unknown) =>
    pack.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return Readable.from(pack);
}

export async function writeDockerArchive(
  file: string,
  image: BuiltImage,
  repoTag: string,
): Promise<void> {
  await pipeline(dockerArchive(image, repoTag), createWriteStream(file));
}
