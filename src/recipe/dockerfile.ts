/**
 * Renders the Dockerfile from decided parts (make-recipe.ts decides, this only writes). Order is
 * chosen for the build cache: what changes least comes first (apt, then the conda layers in group
 * order, then compilation, then pip: envforge's wheel layers, or pip run in the image when there
 * is no lock), and metadata (ENV of the user's variables, LABEL) last, so a
 * changed variable re-runs nothing. The user's variables are set after every RUN on purpose: a
 * variable such as PIP_INDEX_URL must not change how the image is built, only how it runs.
 */
import { byCodeUnits } from "../definition/canonical-json.js";
import type { EscapeChar } from "./dockerfile-text.js";
import { continued, quoteWord } from "./dockerfile-text.js";
import type { BuildSecret, PackageGroup } from "./recipe.js";

/** Where envforge puts its own files in the image (requirements.txt, constraints.txt). */
export const IMAGE_FILES_DIRECTORY = "/opt/envforge";

export interface DockerfileParts {
  readonly header: readonly string[];
  readonly base:
    | { readonly kind: "image"; readonly from: string }
    | {
        readonly kind: "user";
        readonly text: string;
        readonly escape: EscapeChar;
        readonly finalUser?: string;
      }
    | {
        /** `FROM ${name}`: envforge's layers alone, on an image given as a build argument. */
        readonly kind: "argument";
        readonly name: string;
        readonly finalUser?: string;
      };
  readonly apt: readonly string[];
  readonly conda?: {
    readonly prefix: string;
    readonly environmentName: string;
    readonly groups: readonly PackageGroup[];
    readonly python: string;
    /** False when the lock shows nothing to compile (no python, or no noarch python package). */
    readonly compile: boolean;
  };
  /** Context folders of the pip layers envforge installed, each a tree for `/`. */
  readonly pipLayers?: readonly string[];
  readonly pip?: {
    readonly python: string;
    readonly pinned: boolean;
    readonly files: readonly string[];
    readonly secret?: BuildSecret;
  };
  /**
   * pip projects built from source by the image's pip: VCS requirements at their locked commits,
   * then folders of the build context. Each source is a context folder mounted into its RUN
   * step, so it never stays in the image.
   */
  readonly sources?: {
    readonly python: string;
    readonly folders: readonly { readonly directory: string; readonly subdirectory?: string }[];
  };
  readonly variables: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

export function renderDockerfile(parts: DockerfileParts): string {
  const escape = parts.base.kind === "user" ? parts.base.escape : "\\";
  const out: string[] = [];
  const header = parts.header.map((line) => `# ${line}`);
  if (parts.base.kind === "image") {
    out.push(...header, `FROM ${parts.base.from}`);
  } else if (parts.base.kind === "argument") {
    out.push(...header, `ARG ${parts.base.name}`, `FROM \${${parts.base.name}}`);
  } else {
    // The user's text stays first and unchanged (but for trailing blank lines), so its parser
    // directives (`# syntax=`, `# escape=`) keep working.
    out.push(parts.base.text.trimEnd(), "", ...header);
  }

  const runs = installsAnything(parts);
  if (runs) out.push("USER root");

  if (parts.apt.length > 0) {
    out.push(
      continued(
        [
          "RUN apt-get update",
          `&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${parts.apt.join(" ")}`,
          "&& rm -rf /var/lib/apt/lists/*",
        ],
        escape,
      ),
    );
  }

  const conda = parts.conda;
  if (conda !== undefined) {
    out.push(
      `# conda environment ${conda.environmentName}, linked by envforge, one layer per package group`,
    );
    for (const group of conda.groups) {
      out.push(`COPY ${group.directory} ${conda.prefix}/`);
    }
    out.push(`ENV PATH=${conda.prefix}/bin:$PATH`, `ENV CONDA_PREFIX=${conda.prefix}`);
    if (conda.compile) {
      out.push(
        "# .pyc files for conda's noarch packages; unchecked-hash pycs do not depend on file times.",
        "# A file that does not compile is left to Python to compile on import.",
        `RUN ${conda.python} -m compileall -q -j 0 --invalidation-mode unchecked-hash ${conda.prefix}/lib/python3*/site-packages || true`,
      );
    }
  }

  if (parts.pipLayers !== undefined && parts.pipLayers.length > 0) {
    out.push("# pip distributions of the lock, installed by envforge, one layer each");
    for (const directory of parts.pipLayers) out.push(`COPY ${directory} /`);
  }

  const pip = parts.pip;
  if (pip !== undefined) {
    out.push(`COPY ${pip.files.join(" ")} ${IMAGE_FILES_DIRECTORY}/`);
    const mount =
      pip.secret === undefined
        ? ""
        : `--mount=type=secret,id=${pip.secret.id},target=${pip.secret.target} `;
    const flags = `${pip.pinned ? "--no-deps " : ""}--no-cache-dir --disable-pip-version-check --no-input`;
    out.push(
      `RUN ${mount}${pip.python} -m pip install ${flags} -r ${IMAGE_FILES_DIRECTORY}/requirements.txt`,
    );
  }

  if (parts.sources !== undefined) {
    out.push(
      "# VCS requirements at their locked commits and build-context folders, built from source",
      "# by the image's own pip: a compiled package is built for the image's interpreter and",
      "# libraries, not the host's. --no-build-isolation: the build backend comes from the locked",
      "# environment, never an index; --no-deps: their dependencies are the lock's.",
    );
    for (const source of parts.sources.folders) {
      const target = `/tmp/${source.directory.replace(/\/+$/, "")}`;
      const project =
        source.subdirectory === undefined ? target : `${target}/${source.subdirectory}`;
      out.push(
        continued(
          [
            `RUN --mount=type=bind,source=${source.directory},target=${target},rw`,
            `${parts.sources.python} -m pip install --no-deps --no-index --no-build-isolation --no-cache-dir --disable-pip-version-check --no-input ${project}`,
          ],
          escape,
        ),
      );
    }
  }

  // After every RUN and COPY: the name carries the definition hash, so any change of the
  // definition (a pip pin, say) would otherwise re-run the steps after it.
  if (conda !== undefined) out.push(`ENV CONDA_DEFAULT_ENV=${conda.environmentName}`);

  for (const [name, value] of sortedEntries(parts.variables)) {
    out.push(`ENV ${name}=${quoteWord(value, escape)}`);
  }

  const labels = sortedEntries(parts.labels).map(
    ([key, value]) => `${quoteWord(key, escape)}=${quoteWord(value, escape)}`,
  );
  if (labels.length > 0) out.push(continued([`LABEL ${labels[0]}`, ...labels.slice(1)], escape));

  // Give the image back to the user the user's Dockerfile ended with.
  if (runs && parts.base.kind !== "image" && parts.base.finalUser !== undefined) {
    out.push(`USER ${parts.base.finalUser}`);
  }
  return `${out.join("\n")}\n`;
}

function sortedEntries(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => byCodeUnits(a, b));
}

/**
 * Whether the Dockerfile installs anything (apt, conda, pip, sources): then its steps run as root,
 * and the image's config says so (make-recipe.ts).
 */
export function installsAnything(parts: DockerfileParts): boolean {
  return (
    parts.apt.length > 0 ||
    parts.conda !== undefined ||
    parts.pip !== undefined ||
    parts.sources !== undefined ||
    (parts.pipLayers?.length ?? 0) > 0
  );
}
