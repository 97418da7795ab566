import { describe, expect, it } from "vitest";
import { condaChannelsOrDefaults, withImplicitChannels } from "./implicit-channels.js";
import { parseCondaEnvironment } from "./conda-environment.js";

describe("conda's implicit default channels", () => {
  it.each<[string, string, string]>([
    [
      "no channels key",
      "name: x\ndependencies:\n  - numpy\n",
      "name: x\nchannels:\n  - defaults\ndependencies:\n  - numpy\n",
    ],
    [
      "no name either",
      "dependencies:\n  - numpy\n",
      "channels:\n  - defaults\ndependencies:\n  - numpy\n",
    ],
    [
      "an empty list",
      "channels: []\ndependencies: [numpy]\n",
      "channels:\n  - defaults\ndependencies: [numpy]\n",
    ],
    [
      "an empty key",
      "channels:\ndependencies: [numpy]\n",
      "channels:\n  - defaults\ndependencies: [numpy]\n",
    ],
    ["channels written", "channels: [conda-forge]\n", "channels: [conda-forge]\n"],
    ["nodefaults", "channels:\n  - nodefaults\n", "channels:\n  - nodefaults\n"],
  ])("%s", (_name, text, expected) => {
    expect(withImplicitChannels(text)).toBe(expected);
  });

  it("keeps the channels as written in the definition, so its hash does not change", () => {
    const conda = parseCondaEnvironment({ path: "env.yml", text: "dependencies: [numpy]\n" });
    expect(conda.channels).toEqual([]);
    expect(condaChannelsOrDefaults(conda.channels)).toEqual(["defaults"]);
    expect(condaChannelsOrDefaults(["conda-forge"])).toEqual(["conda-forge"]);
  });
});
