/**
 * `envforge sbom NAME[@VERSION|:LABEL]`: the SBOM (CycloneDX JSON) of the version's built image,
 * read from the registry by the image's digest. Only native builds pushed to a registry carry
 * one; anything else is a not-found error (exit 3) that says why.
 */
import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import * as z from "zod";
import { NotFoundError } from "../../errors/index.js";
import { parseEnvironmentRef } from "../../client/environment-ref.js";
import type { CliIo } from "../context.js";
import { writeLine } from "../context.js";
import { ENVIRONMENT_ARGUMENT, withExamples } from "../help.js";
import { addClientOptions, withClient } from "../remote/client-options.js";

const Options = z.object({
  server: z.string().optional(),
  workspace: z.string().optional(),
  json: z.boolean().optional(),
  output: z.string().optional(),
});

export function registerSbomCommand(program: Command, io: CliIo): void {
  const command = program
    .command("sbom")
    .description(
      "Print the SBOM (CycloneDX JSON) attached to a version's built image, read from the registry",
    )
    .argument("<environment>", ENVIRONMENT_ARGUMENT)
    .option("-o, --output <file>", "write the SBOM to FILE instead of standard output");
  addClientOptions(command);
  withExamples(
    command,
    "envforge sbom pytorch@3",
    "envforge sbom pytorch:prod -o pytorch.cdx.json",
  ).action(async (reference: string, raw: unknown) => {
    await runSbom(io, reference, raw);
  });
}

async function runSbom(io: CliIo, reference: string, raw: unknown): Promise<void> {
  const options = Options.parse(raw);
  const ref = parseEnvironmentRef(reference);
  const input = {
    ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
    ...ref,
  };
  const details = await withClient(io, options, (client) => client.getImageDetails(input));
  const what = `${details.name} version ${details.version}`;
  if (details.image.location === "local-engine") {
    throw new NotFoundError(
      `${what} has no SBOM: its image is kept in the local Docker engine (no registry is set), and an SBOM is attached only to an image pushed to a registry by the native builder`,
    );
  }
  if (details.image.digest === null) {
    throw new NotFoundError(
      `${what} has no SBOM: its image ${details.image.name} was never built (build it with envforge env build ${details.name}@${details.version})`,
    );
  }
  const { openRegistry } = await import("../../image/open-registry.js");
  const { fetchSbom } = await import("../../image/sbom-artifact.js");
  const registry = openRegistry({ env: io.env, timeoutMs: io.config.networkTimeoutMs });
  const { bytes } = await fetchSbom(registry, details.image.name, details.image.digest);
  const text = new TextDecoder().decode(bytes);
  if (options.output !== undefined) {
    await writeFile(options.output, text.endsWith("\n") ? text : `${text}\n`);
    if (!options.json) writeLine(io, `wrote the SBOM of ${what} to ${options.output}`);
  }
  if (options.output === undefined || options.json === true) {
    io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }
}
