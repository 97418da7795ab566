/**
 * `envforge serve`: the workspace over HTTP. Refuses a non-loopback address unless auth is on;
 * logs JSON lines (authorization headers redacted) to stderr; stops on SIGINT or SIGTERM.
 */
import type { Command } from "commander";
import * as z from "zod";
import { openServerBuilds, startApiServer } from "../../api/serve.js";
import { ValidationError } from "../../errors/index.js";
import { localLockResolver } from "../../client/local-lock-resolver.js";
import { createEnvironmentService, openWorkspaceStore } from "../../workspace/index.js";
import type { CliIo } from "../context.js";
import { packageVersion } from "../package-version.js";
import { writeLine } from "../context.js";
import { REGISTRY_VARIABLE } from "../remote/client-options.js";
import { openRegistry } from "../../image/open-registry.js";
import { sbomFinder } from "../../image/sbom-artifact.js";
import { homeCacheDir } from "../../host/home-caches.js";

export const DEFAULT_PORT = 8080;

const serveOptions = z.object({
  host: z.string(),
  port: z.string().optional(),
  auth: z.boolean().optional(),
  bodyLimit: z.string().optional(),
  publicHost: z.array(z.string()).optional(),
  json: z.boolean().optional(),
});

export function registerServeCommand(program: Command, io: CliIo): void {
  program
    .command("serve")
    .description("Serve the workspace store over HTTP (API under /v1, OpenAPI at /openapi.json)")
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--port <port>", `port to listen on, 0 for any free one (default ${DEFAULT_PORT})`)
    .option("--auth", "require API tokens (default: $ENVFORGE_AUTH=1); needed off loopback")
    .option("--body-limit <bytes>", "largest request body accepted (default 16 MiB)")
    .option(
      "--public-host <name...>",
      "a name the server is reached by besides loopback ones, e.g. envforge.example.org (default: $ENVFORGE_PUBLIC_HOST, comma-separated); other Host headers are refused",
    )
    .option("--json", "print the listening address as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  envforge serve                          # http://127.0.0.1:8080, no auth, loopback only\n  envforge token create --name admin --scope admin\n  envforge serve --host 0.0.0.0 --auth    # a team server; ENVFORGE_DATABASE_URL for PostgreSQL",
    )
    .action((raw: unknown) => runServe(io, serveOptions.parse(raw)));
}

async function runServe(io: CliIo, options: z.infer<typeof serveOptions>): Promise<void> {
  const auth = options.auth === true || ["1", "true"].includes(io.env.ENVFORGE_AUTH ?? "");
  const port = numberOption("--port", options.port ?? io.env.ENVFORGE_PORT ?? String(DEFAULT_PORT));
  const bodyLimit =
    options.bodyLimit === undefined ? undefined : numberOption("--body-limit", options.bodyLimit);
  const { config } = io;
  const store = await openWorkspaceStore({ settings: config });
  // One solver and parsed repodata kept for the server's life: registrations lock on the server.
  const locks = localLockResolver(io, { keepRepodata: true });
  try {
    const registry = io.env[REGISTRY_VARIABLE]?.trim();
    const service = createEnvironmentService({ store, resolveLock: locks.resolveLock });
    const builds = await openServerBuilds({
      settings: io,
      store,
      service,
      report: (line) => io.stderr.write(`${line}\n`),
      pinBases: locks.pinBases,
    });
    const server = await startApiServer({
      host: options.host,
      port,
      auth,
      service,
      builds: builds.routes,
      // Kept by image digest (in memory and under the home's cache): reads ask the registry once.
      findSbom: sbomFinder(openRegistry({ env: io.env, timeoutMs: config.networkTimeoutMs }), {
        cacheDir: homeCacheDir(config.home, "sboms"),
      }),
      storeKind: store.kind,
      settings: config.parse,
      ...(registry === undefined || registry === "" ? {} : { registry }),
      ...(bodyLimit === undefined ? {} : { bodyLimit }),
      publicHosts: options.publicHost ?? splitList(io.env.ENVFORGE_PUBLIC_HOST),
      log: { stream: io.stderr },
      version: await packageVersion(),
    });
    // One line, so a supervisor or test can read the address as soon as it is there.
    if (options.json) writeLine(io, JSON.stringify({ url: server.url, store: store.kind, auth }));
    else
      writeLine(
        io,
        `envforge serving ${store.kind} ${store.location} at ${server.url} (auth ${auth ? "on" : "off"})`,
      );
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await server.close();
    await builds.close();
  } finally {
    await locks.close();
    await store.close();
  }
}

function splitList(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

function numberOption(key: string, text: string): number {
  if (!/^[0-9]{1,10}$/.test(text)) {
    throw ValidationError.single({ key, message: "not a number", found: JSON.stringify(text) });
  }
  return Number(text);
}
