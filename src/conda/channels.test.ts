import { describe, expect, it } from "vitest";
import { channelAllowList, channelConfigFromEnv, resolveChannels } from "./channels.js";
import type { ChannelConfig } from "./channels.js";
import { problemsOf } from "../../test/support/problems.js";

const config: ChannelConfig = {
  urls: { defaults: "http://127.0.0.1:9001/defaults", pytorch: "http://127.0.0.1:9001/pt/" },
};

function resolveOne(name: string, options: Partial<ChannelConfig> = {}) {
  const [channel] = resolveChannels({
    channels: [name],
    config: { ...config, ...options },
    baseDir: "/srv/envs",
  });
  return channel;
}

describe("resolveChannels", () => {
  it.each([
    ["defaults", { name: "defaults", url: "http://127.0.0.1:9001/defaults" }],
    ["pytorch", { name: "pytorch", url: "http://127.0.0.1:9001/pt" }],
    [
      "http://127.0.0.1:8000/ch/",
      { name: "http://127.0.0.1:8000/ch", url: "http://127.0.0.1:8000/ch" },
    ],
    [
      "http://user:secret@127.0.0.1:8000/ch",
      { name: "http://127.0.0.1:8000/ch", url: "http://user:secret@127.0.0.1:8000/ch" },
    ],
    ["./local", { name: "./local", url: "file:///srv/envs/local", localPath: "/srv/envs/local" }],
    ["/data/ch/", { name: "/data/ch/", url: "file:///data/ch", localPath: "/data/ch" }],
    ["file:///data/ch", { name: "file:///data/ch", url: "file:///data/ch", localPath: "/data/ch" }],
  ])("%s", (name, expected) => {
    expect(resolveOne(name)).toEqual(expected);
  });

  it("maps other names through the channel alias", () => {
    expect(resolveOne("conda-forge", { channelAlias: "http://127.0.0.1:9001/conda" })).toEqual({
      name: "conda-forge",
      url: "http://127.0.0.1:9001/conda/conda-forge",
    });
  });

  it("uses defaults when no channel is written, and skips nodefaults", () => {
    const base = { config, baseDir: "/" };
    expect(resolveChannels({ ...base, channels: [] }).map((c) => c.name)).toEqual(["defaults"]);
    expect(resolveChannels({ ...base, channels: ["nodefaults", "pytorch"] })).toEqual([
      { name: "pytorch", url: "http://127.0.0.1:9001/pt" },
    ]);
  });

  it("collects every problem with file, key, found and allowed", () => {
    expect(
      problemsOf(() =>
        resolveChannels({
          channels: ["conda-forge", "ftp://127.0.0.1/ch", "bad name!"],
          config,
          baseDir: "/",
          file: "env.yml",
        }),
      ),
    ).toEqual([
      'env.yml: channels[0]: channel "conda-forge" has no configured URL (found conda-forge; allowed: a name set in ENVFORGE_CHANNEL_URLS (name=url) or any name with ENVFORGE_CHANNEL_ALIAS set, an http(s):// URL, or a local folder path)',
      'env.yml: channels[1]: channel "ftp://127.0.0.1/ch" uses an unsupported scheme (found ftp://127.0.0.1/ch; allowed: a channel name, an http(s):// URL, or a local folder path)',
      'env.yml: channels[2]: channel "bad name!" is not a valid channel name, URL or path (found bad name!; allowed: a channel name such as defaults, an http(s):// URL, or a local folder path)',
    ]);
  });

  it("refuses channels outside the workspace allow-list", () => {
    const allowList = channelAllowList(["defaults", "http://127.0.0.1:9001/pt/"]);
    const base = { config, baseDir: "/", allowList, file: "env.yml" };
    expect(resolveChannels({ ...base, channels: ["defaults", "pytorch"] })).toHaveLength(2);
    expect(
      problemsOf(() => resolveChannels({ ...base, channels: ["http://127.0.0.1:9/other"] })),
    ).toEqual([
      'env.yml: channels[0]: channel "http://127.0.0.1:9/other" is not allowed in this workspace (found http://127.0.0.1:9/other; allowed: defaults, http://127.0.0.1:9001/pt/)',
    ]);
  });

  it("fails when only nodefaults is left", () => {
    expect(
      problemsOf(() => resolveChannels({ channels: ["nodefaults"], config, baseDir: "/" })),
    ).toEqual([
      "channels: no channel is left to solve from (found nodefaults; allowed: at least one channel besides nodefaults)",
    ]);
  });
});

describe("channelConfigFromEnv", () => {
  it("reads name=url pairs and the alias", () => {
    expect(
      channelConfigFromEnv({
        ENVFORGE_CHANNEL_URLS: "defaults=http://127.0.0.1:1/d/, pytorch=http://127.0.0.1:1/p",
        ENVFORGE_CHANNEL_ALIAS: "http://127.0.0.1:1/conda/",
      }),
    ).toEqual({
      urls: { defaults: "http://127.0.0.1:1/d", pytorch: "http://127.0.0.1:1/p" },
      channelAlias: "http://127.0.0.1:1/conda",
    });
    expect(channelConfigFromEnv({})).toEqual({ urls: {} });
  });
});
