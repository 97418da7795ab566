/**
 * The native builder's local engine through the Engine API: `POST /images/load` for an image
 * kept without a registry, and an inspect for the cache check (its image-hash label must match).
 */
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import * as z from "zod";
import { IMAGE_HASH_LABEL } from "../../definition/image-hash.js";
import { ExternalError } from "../../errors/index.js";
import type { InspectLocal, LoadImage } from "./native-builder.js";

const Inspected = z.object({
  Id: z.string(),
  Config: z.object({ Labels: z.record(z.string(), z.string()).nullish() }).nullish(),
});

export function dockerLocalEngine(docker: () => Docker): {
  load: LoadImage;
  inspect: InspectLocal;
} {
  return {
    async load(archive: Readable, signal: AbortSignal | undefined) {
      const stream = await docker().loadImage(
        archive,
        signal === undefined ? {} : { abortSignal: signal },
      );
      let text = "";
      for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk.toString("utf8");
      const error = /"error"\s*:\s*"([^"]*)"/.exec(text)?.[1];
      if (error !== undefined)
        throw new ExternalError(`the Docker engine refused the image: ${error}`);
    },
    async inspect(reference: string) {
      try {
        const found = Inspected.parse(await docker().getImage(reference).inspect());
        const label = found.Config?.Labels?.[IMAGE_HASH_LABEL];
        return { id: found.Id, ...(label === undefined ? {} : { imageHash: label }) };
      } catch (error) {
        if (
          typeof error === "object" &&
          error !== null &&
          "statusCode" in error &&
          error.statusCode === 404
        )
          return undefined;
        throw error;
      }
    },
  };
}
