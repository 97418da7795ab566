/**
 * What the native builder's integration tests share: a NativeBuilder wired as a surface would
 * wire it (its own package cache and work folder, so two harnesses are two machines' homes), a
 * registry path per run, runners for docker, podman and skopeo, clean-up of the manifests the
 * tests pushed, and a home for the tests that drive the CLI (openCliHome).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { NativeBuilder } from "../../src/builders/native/native-builder.js";
import type {
  NativeBuilderOptions,
  NativeOutputs,
} from "../../src/builders/native/native-builder.js";
import type { BuildOutcome } from "../../src/builders/image-builder.js";
import { PackageCache } from "../../src/conda/package-cache.js";
import { openRegistry } from "../../src/image/index.js";
import { BASE_IMAGE, deleteManifest, PLAIN_REGISTRY } from "../support/registry.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";

export const run = promisify(execFile);

export interface NativeHarness {
  readonly builder: NativeBuilder;
  /** This harness's home: package cache, work folder, pushed-blob memory. */
  readonly home: string;
  track(outcome: BuildOutcome): BuildOutcome;
  cleanup(): Promise<void>;
}

export async function openNativeHarness(
  options: {
    readonly outputs?: NativeOutputs;
    readonly sourceDateEpoch?: number;
    readonly localEngine?: NativeBuilderOptions["localEngine"];
  } = {},
): Promise<NativeHarness> {
  const home = await mkdtemp(join(tmpdir(), "envforge-native-test-"));
  const builder = new NativeBuilder({
    registry: openRegistry({ env: { HOME: home, DOCKER_CONFIG: join(home, "docker") } }),
    packageCache: new PackageCache({ dir: join(home, "cache", "pkgs") }),
    workDir: home,
    ...(options.outputs === undefined ? {} : { outputs: options.outputs }),
    ...(options.sourceDateEpoch === undefined ? {} : { sourceDateEpoch: options.sourceDateEpoch }),
    ...(options.localEngine === undefined ? {} : { localEngine: options.localEngine }),
  });
  const outcomes: BuildOutcome[] = [];
  return {
    builder,
    home,
    track(outcome) {
      outcomes.push(outcome);
      return outcome;
    },
    async cleanup() {
      for (const outcome of outcomes) {
        const [registry = "", ...path] = outcome.imageName.split("/");
        if (!outcome.digest.startsWith("sha256:") || registry === "envforge") continue;
        await deleteManifest({ registry, repository: path.join("/"), digest: outcome.digest });
      }
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** `127.0.0.1:5000/envforge-test/native-<hex>`: this run's images only. */
export function runRegistry(registry = PLAIN_REGISTRY): string {
  return `${registry}/envforge-test/native-${randomBytes(4).toString("hex")}`;
}

/** podman as root with its own storage under `root`, no network. */
export async function podmanRun(
  root: string,
  image: string,
  command: readonly string[],
): Promise<string> {
  const { stdout } = await run(
    "podman",
    [
      "--root",
      join(root, "storage"),
      "--runroot",
      join(root, "run"),
      "--storage-driver",
      "vfs",
      "--cgroup-manager",
      "cgroupfs",
      "--events-backend",
      "none",
      "run",
      "--rm",
      "--tls-verify=false",
      // podman's default limits are above what this machine lets a container raise to.
      "--ulimit",
      "nofile=1024:1024",
      "--ulimit",
      "nproc=1024:1024",
      "--network",
      "none",
      image,
      ...command,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

/** A home for tests that drive the CLI with the native builder on the real registry. */
export interface CliHome {
  /** A new folder: HOME, and ENVFORGE_HOME under it (`home/`). */
  readonly dir: string;
  /** The seed channel, with a stand-in for the default python. */
  readonly channel: SeedChannel;
  /** ENVFORGE_HOME, HOME, ENVFORGE_REGISTRY (this run's path) and ENVFORGE_BASE_IMAGE. */
  readonly env: NodeJS.ProcessEnv;
  /** Builds the test pushed: close() deletes their manifests. */
  readonly pushed: { readonly image: { readonly name: string; readonly digest: string } }[];
  close(): Promise<void>;
}

export async function openCliHome(prefix: string): Promise<CliHome> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  // Every conda definition gets the default python (3.10): a stand-in package answers for it.
  const channel = await startSeedChannel({
    extra: [
      {
        name: "python",
        version: "3.10.0",
        noarch: "generic",
        files: [{ path: "share/python-stand-in.txt", content: "not a python\n" }],
      },
    ],
  });
  const pushed: CliHome["pushed"][number][] = [];
  return {
    dir,
    channel,
    env: {
      ENVFORGE_HOME: join(dir, "home"),
      HOME: dir,
      ENVFORGE_REGISTRY: runRegistry(),
      ENVFORGE_BASE_IMAGE: BASE_IMAGE,
    },
    pushed,
    async close() {
      try {
        for (const build of pushed) {
          const [host = "", ...path] = build.image.name.split("/");
          await deleteManifest({
            registry: host,
            repository: path.join("/"),
            digest: build.image.digest,
          });
        }
      } finally {
        await channel.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
