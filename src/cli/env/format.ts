/** How environments and versions read in a terminal. */
import type { EnvironmentSummary, EnvironmentVersion } from "../../workspace/index.js";
import { formatTable } from "../remote/table.js";

export function versionLines(version: EnvironmentVersion): string[] {
  const { definition } = version;
  const base =
    definition.base.kind === "image"
      ? `image ${imageText(definition.base.image)}${definition.base.defaulted ? " (default)" : ""}`
      : definition.base.kind === "dockerfile"
        ? "Dockerfile"
        : `build context ${definition.base.contextPath} (${definition.base.files.length} files)`;
  const tags = Object.entries(version.tags)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`);
  return [
    `${version.name} version ${version.version}${version.curated ? " (curated)" : ""}${version.archived ? " (archived)" : ""}`,
    `  workspace:   ${version.workspace}`,
    `  definition:  ${version.definitionHash} (${definition.kind})`,
    `  base:        ${base}`,
    ...(definition.conda === undefined
      ? []
      : [`  conda:       ${definition.conda.dependencies.join(", ") || "(none)"}`]),
    ...(definition.pip === undefined
      ? []
      : [`  pip:         ${definition.pip.requirements.map((r) => r.requirement).join(", ")}`]),
    ...(definition.apt.length === 0 ? [] : [`  apt:         ${definition.apt.join(", ")}`]),
    `  platform:    ${definition.platform}`,
    `  labels:      ${version.labels.join(", ") || "(none)"}`,
    ...(version.description === undefined ? [] : [`  description: ${version.description}`]),
    ...(tags.length === 0 ? [] : [`  tags:        ${tags.join(", ")}`]),
    `  locked:      ${version.lock === undefined ? "no" : "yes"}`,
    `  created:     ${version.createdAt}`,
  ];
}

function imageText(image: {
  readonly registry?: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}): string {
  return `${image.registry === undefined ? "" : `${image.registry}/`}${image.repository}${image.tag === undefined ? "" : `:${image.tag}`}${image.digest === undefined ? "" : `@${image.digest}`}`;
}

export function environmentsTable(items: readonly EnvironmentSummary[]): string {
  return formatTable(
    ["NAME", "LATEST", "ARCHIVED", "UPDATED"],
    items.map((item) => [
      item.name,
      item.latestVersion === undefined ? "-" : String(item.latestVersion),
      item.archived ? "yes" : "no",
      item.updatedAt,
    ]),
  );
}

export function versionsTable(items: readonly EnvironmentVersion[]): string {
  return formatTable(
    ["VERSION", "LABELS", "ARCHIVED", "CREATED", "DESCRIPTION"],
    items.map((item) => [
      String(item.version),
      item.labels.join(",") || "-",
      item.archived ? "yes" : "no",
      item.createdAt,
      item.description ?? "",
    ]),
  );
}

export function curatedTable(items: readonly EnvironmentVersion[]): string {
  return formatTable(
    ["NAME", "VERSION", "DESCRIPTION"],
    items.map((item) => [item.name, String(item.version), item.description ?? ""]),
  );
}
