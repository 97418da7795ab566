/**
 * Settings through the CLI: flag > environment > config file > default, secrets masked by
 * `config show`, the file's settings used by every command (here: the default base image of
 * `env create`), and a bad file refused with its line.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { cli } from "../support/run-cli.js";

const Shown = z.object({
  configFile: z.object({ path: z.string(), exists: z.boolean() }),
  settings: z.array(
    z.object({ key: z.string(), value: z.string().nullable(), source: z.string() }),
  ),
});

describe("envforge config", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "envforge-config-"));
    writeFileSync(
      join(dir, "config.yaml"),
      [
        "registry: 127.0.0.1:5000/from-file",
        "baseImage: 127.0.0.1:5000/envforge/debian:bookworm",
        "dockerHost: unix:///from/file.sock",
        "token: efk_from_file_secret",
        "",
      ].join("\n"),
    );
    env = {
      HOME: dir,
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "config.yaml"),
      DOCKER_HOST: "unix:///from/env.sock",
      ENVFORGE_DATABASE_URL: "postgres://u:hunter2@127.0.0.1:1/db",
    };
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("shows each setting with where it came from, secrets masked", async () => {
    const result = await cli(["config", "show", "--registry", "127.0.0.1:5000/flag", "--json"], {
      env,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain("hunter2");
    expect(result.stdout).not.toContain("efk_from_file_secret");
    const shown = Shown.parse(JSON.parse(result.stdout));
    expect(shown.configFile).toEqual({ path: join(dir, "config.yaml"), exists: true });
    const by = Object.fromEntries(shown.settings.map((s) => [s.key, [s.value, s.source]]));
    expect(by).toMatchObject({
      registry: ["127.0.0.1:5000/flag", "flag"],
      dockerHost: ["unix:///from/env.sock", "environment"],
      baseImage: ["127.0.0.1:5000/envforge/debian:bookworm", "config file"],
      builder: ["auto", "default"],
      token: ["***", "config file"],
      databaseUrl: ["postgres://u:***@127.0.0.1:1/db", "environment"],
    });
  });

  it("names conda's and pip's public defaults and the local engine when nothing is set", async () => {
    // Empty values count as unset, so the harness's loopback stand-ins give way to the defaults;
    // config show only prints them, it reaches nothing.
    const bare = {
      HOME: dir,
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "none.yaml"),
      ENVFORGE_CHANNEL_ALIAS: "",
      ENVFORGE_DEFAULT_CHANNELS: "",
      ENVFORGE_PIP_INDEX_URL: "",
    };
    const result = await cli(["config", "show"], { env: bare });
    expect(result.code, result.stderr).toBe(0);
    const rows = result.stdout.split("\n").map((line) => line.split(/\s{2,}/));
    const row = (key: string) => rows.find((cells) => cells[0] === key);
    expect(row("channelAlias")).toEqual([
      "channelAlias",
      "https://conda.anaconda.org",
      "default",
      "ENVFORGE_CHANNEL_ALIAS",
    ]);
    expect(row("defaultChannels")?.[1]).toBe(
      "https://repo.anaconda.com/pkgs/main,https://repo.anaconda.com/pkgs/r",
    );
    expect(row("pipIndexUrl")?.[1]).toBe("https://pypi.org/simple");
    expect(row("registry")).toEqual([
      "registry",
      "- (images stay in the local Docker engine, never pushed)",
      "unset",
      "ENVFORGE_REGISTRY",
    ]);
  });

  it("gives every command the file's settings", async () => {
    writeFileSync(join(dir, "environment.yml"), "dependencies:\n  - python=3.10\n");
    const local = { ...env, ENVFORGE_DATABASE_URL: "" };
    const created = await cli(["env", "create", "-f", join(dir, "environment.yml"), "-n", "cfg"], {
      env: local,
    });
    expect(created.code, created.stderr).toBe(0);
    const shown = await cli(["env", "show", "cfg", "--dockerfile"], { env: local });
    expect(shown.stdout).toMatch(/^FROM 127\.0\.0\.1:5000\/envforge\/debian:bookworm/m);
  });

  it("refuses a network timeout that is not a number of seconds, from either source", async () => {
    const fromVariable = await cli(["config", "show"], {
      env: { ...env, ENVFORGE_NETWORK_TIMEOUT: "30s" },
    });
    expect(fromVariable.code).toBe(2);
    expect(fromVariable.stderr).toBe(
      'envforge: ENVFORGE_NETWORK_TIMEOUT: is not a number of seconds (found "30s"; allowed: a number of seconds above 0 and up to 86400, e.g. 30)\n',
    );
    writeFileSync(join(dir, "timeout.yaml"), 'networkTimeout: "7"\n');
    const fromFile = await cli(["config", "show"], {
      env: { ...env, ENVFORGE_CONFIG: join(dir, "timeout.yaml") },
    });
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toMatch(/^networkTimeout +7 +config file +ENVFORGE_NETWORK_TIMEOUT$/m);
  });

  it("refuses a config file with an unknown key, naming the line", async () => {
    writeFileSync(join(dir, "bad.yaml"), "registry: x\nregistery: y\n");
    const result = await cli(["config", "show"], {
      env: { ...env, ENVFORGE_CONFIG: join(dir, "bad.yaml") },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `envforge: ${join(dir, "bad.yaml")}:2:1: registery: unknown key "registery"; did you mean "registry"? (allowed: baseImage, builder, channelAlias, channelUrls, databaseUrl, defaultChannels, dockerHost, home, networkTimeout, pipIndexUrl, registry, server, token)\n`,
    );
  });
});
