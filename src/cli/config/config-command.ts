/**
 * `envforge config show`: every setting with its value and where it came from (flag >
 * environment > config file > default). Secrets (database password, API token) are masked.
 * Then the Docker endpoint in effect, as the Docker CLI would pick it (DOCKER_HOST, a docker
 * context, or the default socket).
 */
import type { Command } from "commander";
import * as z from "zod";
import { envWithConfigFile, readConfigFile, resolveSettings } from "../../host/config-file.js";
import type { ConfigFile } from "../../host/config-file.js";
import { readDockerEndpoint } from "../../jobs/docker-endpoint-read.js";
import { describeEndpoint } from "../../jobs/docker-endpoint-rules.js";
import type { DockerEndpoint } from "../../jobs/docker-endpoint-rules.js";
import type { CliIo } from "../context.js";
import { writeJson, writeLine } from "../context.js";
import { formatTable } from "../remote/table.js";

const Options = z.object({
  json: z.boolean().optional(),
  registry: z.string().optional(),
  baseImage: z.string().optional(),
  builder: z.string().optional(),
  dockerHost: z.string().optional(),
});

export function registerConfigCommand(program: Command, io: CliIo): void {
  const config = program.command("config").description("envforge's settings");
  config
    .command("show")
    .description("Print each setting, its value (secrets masked) and where it came from")
    .option("--registry <registry>", "as `env build --registry` would take it")
    .option("--base-image <image>", "default base image")
    .option("--builder <builder>", "image builder")
    .option("--docker-host <url>", "Docker endpoint")
    .option("--json", "print JSON for scripts")
    .addHelpText(
      "after",
      "\nThe config file is $ENVFORGE_CONFIG, default ~/.config/envforge/config.yaml, e.g.\n  registry: 127.0.0.1:5000/envforge\n  dockerHost: unix:///var/run/docker.sock\n\nExamples:\n  envforge config show\n  envforge config show --registry 127.0.0.1:5000/envforge --json",
    )
    .action((options: unknown) => runConfigShow(io, options));
}

async function runConfigShow(io: CliIo, raw: unknown): Promise<void> {
  const { json, ...flags } = Options.parse(raw);
  const file = await readConfigFile(io.env);
  const settings = resolveSettings({ env: io.env, file, flags });
  const endpoint = shownEndpoint(io.env, file, flags.dockerHost);
  if (json === true) {
    return writeJson(io, {
      configFile: { path: file.path, exists: file.exists },
      settings,
      dockerEndpoint: endpoint,
    });
  }
  writeLine(io, `config file: ${file.path}${file.exists ? "" : " (none)"}`);
  writeLine(
    io,
    formatTable(
      ["SETTING", "VALUE", "FROM", "VARIABLE"],
      settings.map((s) => [
        s.key,
        s.value ?? (s.whenUnset === null ? "-" : `- (${s.whenUnset})`),
        s.source,
        s.variable,
      ]),
    ),
  );
  writeLine(
    io,
    "error" in endpoint
      ? `docker endpoint: cannot be read: ${endpoint.error}`
      : `docker endpoint: ${endpoint.description} (from ${endpoint.from})`,
  );
}

type ShownEndpoint =
  | {
      readonly url: string;
      /** e.g. `tcp://h:2376 (TLS, verified)`. */
      readonly description: string;
      readonly transport: "unix" | "tcp" | "ssh";
      readonly tls: { readonly verify: boolean } | null;
      readonly source: "flag" | "environment" | "config file" | "context" | "default";
      readonly context: { readonly name: string; readonly metaPath: string } | null;
      /** In words: `DOCKER_HOST`, `docker context "remote" (<meta.json>)`, ... */
      readonly from: string;
    }
  | { readonly error: string };

function shownEndpoint(
  env: NodeJS.ProcessEnv,
  file: ConfigFile,
  flag: string | undefined,
): ShownEndpoint {
  const folded = envWithConfigFile(env, file);
  const withFlag = flag === undefined ? folded : { ...folded, DOCKER_HOST: flag };
  let endpoint: DockerEndpoint;
  try {
    endpoint = readDockerEndpoint(withFlag);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  const t = endpoint.transport;
  const s = endpoint.source;
  const source = flag !== undefined ? "flag" : s.kind === "DOCKER_HOST" ? "environment" : s.kind;
  const from =
    source === "flag"
      ? "--docker-host"
      : s.kind === "DOCKER_HOST"
        ? "DOCKER_HOST"
        : s.kind === "config file"
          ? "dockerHost in the config file"
          : s.kind === "context"
            ? `docker context "${s.name}" (${s.metaPath})`
            : "the default socket";
  return {
    url: endpoint.url,
    description: describeEndpoint(endpoint),
    transport: t.kind,
    tls: t.kind === "tcp" && t.tls !== undefined ? { verify: t.tls.verify } : null,
    source,
    context: s.kind === "context" ? { name: s.name, metaPath: s.metaPath } : null,
    from,
  };
}
