/**
 * `envforge config show`: every setting with its value and where it came from (flag >
 * environment > config file > default). Secrets (database password, API token) are masked.
 */
import type { Command } from "commander";
import { z } from "zod";
import { readConfigFile, resolveSettings } from "../../host/config-file.js";
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
      "\nThe config file is $ENVFORGE_CONFIG, default ~/.config/envforge/config.yaml, e.g.\n  registry: 127.0.0.1:5000/envforge\n  dockerHost: unix:///var/run/docker.sock",
    )
    .action((options: unknown) => runConfigShow(io, options));
}

async function runConfigShow(io: CliIo, raw: unknown): Promise<void> {
  const { json, ...flags } = Options.parse(raw);
  const file = await readConfigFile(io.env);
  const settings = resolveSettings({ env: io.env, file, flags });
  if (json === true) {
    return writeJson(io, { configFile: { path: file.path, exists: file.exists }, settings });
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
}
