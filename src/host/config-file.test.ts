import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import type { ConfigFile } from "./config-file.js";
import { SETTINGS, envWithConfigFile, mask, resolveSettings } from "./config-file.js";
import { parseConfigFile as parseWithKeys } from "./config-file-parse.js";
import type { SourceText } from "../definition/definition.js";
import { readConfig } from "./config.js";

const parseConfigFile = (source: SourceText) =>
  parseWithKeys(
    source,
    SETTINGS.map((setting) => setting.key),
  );

const file: ConfigFile = {
  path: "config.yaml",
  exists: true,
  values: { registry: "127.0.0.1:5000/from-file", builder: "docker", token: "efk_secret" },
};

describe("config file", () => {
  it("reads known keys and refuses unknown ones with their line", () => {
    expect(
      parseConfigFile({
        path: "c.yaml",
        text: "registry: 127.0.0.1:5000/x\ndockerHost: unix:///d.sock\n",
      }),
    ).toEqual({ registry: "127.0.0.1:5000/x", dockerHost: "unix:///d.sock" });
    expect(parseConfigFile({ path: "c.yaml", text: "" })).toEqual({});
    let error: unknown;
    try {
      parseConfigFile({ path: "c.yaml", text: "registry: a\nregistery: b\n" });
    } catch (e) {
      error = e;
    }
    if (!(error instanceof ValidationError)) throw new Error("expected a ValidationError");
    expect(error.problems[0]).toMatchObject({
      file: "c.yaml",
      line: 2,
      key: "registery",
      message: 'unknown key "registery"; did you mean "registry"?',
    });
  });

  it.each([
    ["flag wins", { ENVFORGE_REGISTRY: "env/x" }, { registry: "flag/x" }, "flag/x", "flag"],
    ["environment beats the file", { ENVFORGE_REGISTRY: "env/x" }, {}, "env/x", "environment"],
    ["the file beats nothing", {}, {}, "127.0.0.1:5000/from-file", "config file"],
    [
      "blank variables do not count",
      { ENVFORGE_REGISTRY: " " },
      {},
      "127.0.0.1:5000/from-file",
      "config file",
    ],
  ])("precedence: %s", (_, env, flags, value, source) => {
    const registry = resolveSettings({ env, file, flags }).find((s) => s.key === "registry");
    expect(registry).toMatchObject({ value, source });
  });

  it("masks secrets and fills defaults", () => {
    const settings = resolveSettings({
      env: { ENVFORGE_DATABASE_URL: "postgres://u:hunter2@127.0.0.1:5432/db" },
      file,
    });
    const byKey = Object.fromEntries(settings.map((s) => [s.key, s]));
    expect(byKey.databaseUrl?.value).toBe("postgres://u:***@127.0.0.1:5432/db");
    expect(byKey.token).toMatchObject({ value: "***", source: "config file" });
    expect(byKey.dockerHost).toMatchObject({
      value: null,
      source: "unset",
      whenUnset: "the docker context in effect, else unix:///var/run/docker.sock",
    });
    expect(byKey.server).toMatchObject({ value: null, source: "unset" });
    expect(JSON.stringify(settings)).not.toContain("hunter2");
    expect(JSON.stringify(settings)).not.toContain("efk_secret");
    expect(mask("not a url", "password-in-url")).toBe("***");
  });

  it("masks the user part of ENVFORGE_SERVER and ENVFORGE_REGISTRY (issue 13, point 5)", () => {
    const settings = resolveSettings({
      env: {
        ENVFORGE_SERVER: "https://ci:s3cr3t-server@127.0.0.1:8080",
        ENVFORGE_REGISTRY: "robot:s3cr3t-registry@127.0.0.1:5000/envforge",
      },
      file: { path: "/none", exists: false, values: {} },
    });
    const byKey = Object.fromEntries(settings.map((s) => [s.key, s.value]));
    expect(byKey.server).toBe("https://***@127.0.0.1:8080");
    expect(byKey.registry).toBe("***@127.0.0.1:5000/envforge");
    expect(JSON.stringify(settings)).not.toMatch(/s3cr3t|robot|ci:/);
    expect(mask("https://tok3n@127.0.0.1:8080", "userinfo")).toBe("https://***@127.0.0.1:8080");
    expect(mask("127.0.0.1:5000/envforge", "userinfo")).toBe("127.0.0.1:5000/envforge");
    expect(mask("http://127.0.0.1:8080/a@b", "userinfo")).toBe("http://127.0.0.1:8080/a@b");
  });

  it("folds the file into the environment without overriding variables", () => {
    const env = envWithConfigFile({ ENVFORGE_REGISTRY: "env/x" }, file);
    expect(env.ENVFORGE_REGISTRY).toBe("env/x");
    expect(env.ENVFORGE_BUILDER).toBe("docker");
    expect(env.ENVFORGE_TOKEN).toBe("efk_secret");
    // Folded values still show as the file's, and folding again changes nothing.
    expect(envWithConfigFile(env, file)).toEqual(env);
    const shown = resolveSettings({ env, file });
    expect(shown.find((s) => s.key === "builder")?.source).toBe("config file");
    expect(shown.find((s) => s.key === "registry")?.source).toBe("environment");
  });
});

describe("conda and pip defaults", () => {
  const none: ConfigFile = { path: "none.yaml", exists: false, values: {} };

  it("are conda's channel alias and default channels and pip's index, shown as defaults", () => {
    const byKey = Object.fromEntries(
      resolveSettings({ env: {}, file: none }).map((s) => [s.key, s]),
    );
    expect(byKey.channelAlias).toMatchObject({
      variable: "ENVFORGE_CHANNEL_ALIAS",
      value: "https://conda.anaconda.org",
      source: "default",
    });
    expect(byKey.defaultChannels).toMatchObject({
      variable: "ENVFORGE_DEFAULT_CHANNELS",
      value: "https://repo.anaconda.com/pkgs/main,https://repo.anaconda.com/pkgs/r",
      source: "default",
    });
    expect(byKey.pipIndexUrl).toMatchObject({
      variable: "ENVFORGE_PIP_INDEX_URL",
      value: "https://pypi.org/simple",
      source: "default",
    });
    expect(byKey.channelUrls).toMatchObject({ value: null, source: "unset" });
    // No registry by default: one machine needs none, and config show says what that means.
    expect(byKey.registry).toMatchObject({
      value: null,
      source: "unset",
      whenUnset: "images stay in the local Docker engine, never pushed",
    });
    const config = readConfig({});
    expect(config.registry).toBeUndefined();
    expect(config.pipIndexUrl).toBe("https://pypi.org/simple");
    expect(config.channels).toEqual({
      urls: {},
      channelAlias: "https://conda.anaconda.org",
      defaultChannels: ["https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r"],
    });
  });

  it("give way to the environment and the config file, and hide passwords in URLs", () => {
    const file: ConfigFile = {
      path: "c.yaml",
      exists: true,
      values: {
        pipIndexUrl: "http://127.0.0.1:9/file-simple",
        channelAlias: "http://127.0.0.1:9/f",
      },
    };
    const env = {
      ENVFORGE_CHANNEL_ALIAS: "http://127.0.0.1:9/env",
      ENVFORGE_CHANNEL_URLS: "a=http://u:hunter2@127.0.0.1:9/a,b=http://127.0.0.1:9/b",
    };
    const byKey = Object.fromEntries(resolveSettings({ env, file }).map((s) => [s.key, s]));
    expect(byKey.channelAlias).toMatchObject({
      value: "http://127.0.0.1:9/env",
      source: "environment",
    });
    expect(byKey.pipIndexUrl).toMatchObject({
      value: "http://127.0.0.1:9/file-simple",
      source: "config file",
    });
    expect(byKey.channelUrls?.value).toBe("a=http://u:***@127.0.0.1:9/a,b=http://127.0.0.1:9/b");
    const folded = readConfig(envWithConfigFile(env, file));
    expect(folded.pipIndexUrl).toBe("http://127.0.0.1:9/file-simple");
    expect(folded.channels.channelAlias).toBe("http://127.0.0.1:9/env");
  });
});
