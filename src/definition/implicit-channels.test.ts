import { describe, expect, it } from "vitest";
import { condaChannelsOrDefaults, withImplicitChannels } from "./implicit-channels.js";
import { definitionFromConda } from "./assemble-definition.js";
import { parseCondaEnvironment } from "./conda-environment.js";
import { envforgeFilesFromDefinition } from "./envforge-file-writer.js";

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

  it("convert writes the conda file with defaults, keeping the rest as written", () => {
    const conda = parseCondaEnvironment({
      path: "env.yml",
      text: "# from the paper\nname: x\ndependencies:\n  - numpy\n  - python=3.11\n",
    });
    const definition = definitionFromConda(
      { conda },
      {
        defaultBaseImage: "127.0.0.1:5000/envforge/debian:bookworm",
        defaultPythonVersion: "3.10",
        defaultPlatform: "linux-64",
      },
    );
    for (const format of ["envforge", "azureml-v2"] as const) {
      expect(envforgeFilesFromDefinition(definition, { format }).files["conda.yml"]).toBe(
        "# from the paper\nname: x\nchannels:\n  - defaults\ndependencies:\n  - numpy\n  - python=3.11\n",
      );
    }
  });
});
