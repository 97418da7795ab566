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
  it("reads name=url pairs, the alias and the default channels", () => {
    expect(
      channelConfigFromEnv({
        ENVFORGE_CHANNEL_URLS: "defaults=http://127.0.0.1:1/d/, pytorch=http://127.0.0.1:1/p",
        ENVFORGE_CHANNEL_ALIAS: "http://127.0.0.1:1/conda/",
        ENVFORGE_DEFAULT_CHANNELS: "http://127.0.0.1:1/main/ http://127.0.0.1:1/r",
      }),
    ).toEqual({
      urls: { defaults: "http://127.0.0.1:1/d", pytorch: "http://127.0.0.1:1/p" },
      channelAlias: "http://127.0.0.1:1/conda",
      defaultChannels: ["http://127.0.0.1:1/main", "http://127.0.0.1:1/r"],
    });
  });

  // Pure mapping only: nothing here is fetched.
  it("falls back to conda's own channel alias and default channels", () => {
    const config = channelConfigFromEnv({});
    const resolve = (channels: string[]) =>
      resolveChannels({ channels, config, baseDir: "/" }).map(({ name, url }) => ({ name, url }));
    expect(resolve(["defaults"])).toEqual([
      { name: "defaults", url: "https://repo.anaconda.com/pkgs/main" },
      { name: "defaults", url: "https://repo.anaconda.com/pkgs/r" },
    ]);
    // No channels written means `defaults`, as in conda.
    expect(resolve([])).toEqual(resolve(["defaults"]));
    expect(resolve(["conda-forge", "pytorch/label/nightly"])).toEqual([
      { name: "conda-forge", url: "https://conda.anaconda.org/conda-forge" },
      { name: "pytorch/label/nightly", url: "https://conda.anaconda.org/pytorch/label/nightly" },
    ]);
  });

  it("lets ENVFORGE_CHANNEL_URLS win over the alias and defaults for its names", () => {
    const config = channelConfigFromEnv({
      ENVFORGE_CHANNEL_URLS: "defaults=http://127.0.0.1:9/d conda-forge=http://127.0.0.1:9/cf",
    });
    const urls = resolveChannels({
      channels: ["defaults", "conda-forge", "bioconda"],
      config,
      baseDir: "/",
    }).map((channel) => channel.url);
    expect(urls).toEqual([
      "http://127.0.0.1:9/d",
      "http://127.0.0.1:9/cf",
      "https://conda.anaconda.org/bioconda",
    ]);
  });
});
