/**
 * `envforge env diff NAME@A NAME@B`: what changed between two versions, in the definition and
 * in the lock. Exits 0 when they are the same and 1 when they differ, like diff(1), so a
 * script can test it; errors keep their own codes (2 and up).
 */
import * as z from "zod";
import type { LockChange, LockedVersion, VersionDiff } from "../../definition/version-diff.js";
import { diffVersions } from "../../definition/version-diff.js";
import { parseEnvironmentRef } from "../../client/environment-ref.js";
import type { CliIo } from "../context.js";
import { CommandExit, writeJson, writeLine } from "../context.js";
import { withClient } from "../remote/client-options.js";

/** Exit code when the two versions differ (0 when they are the same). */
export const DIFFERENT_EXIT_CODE = 1;

const diffOptions = z.object({
  server: z.string().optional(),
  workspace: z.string().optional(),
  json: z.boolean().optional(),
});

interface VersionRef {
  readonly name: string;
  readonly version?: number;
  readonly label?: string;
}

export async function runDiff(io: CliIo, from: string, to: string, raw: unknown): Promise<void> {
  const options = diffOptions.parse(raw);
  const first = parseRef(from, "first");
  const second = parseRef(to, "second");
  const workspace = options.workspace === undefined ? {} : { workspace: options.workspace };
  const [a, b] = await withClient(io, options, (client) =>
    Promise.all([
      client.getEnvironmentVersion({ ...workspace, ...first }),
      client.getEnvironmentVersion({ ...workspace, ...second }),
    ]),
  );
  const diff = diffVersions(a, b);
  const title = { from: `${a.name}@${a.version}`, to: `${b.name}@${b.version}` };
  if (options.json) writeJson(io, { ...title, ...diff });
  else writeLine(io, diffText(diff, title).join("\n"));
  if (!diff.same) throw new CommandExit(DIFFERENT_EXIT_CODE);
}

/** `NAME@3`, `NAME:prod` (or `NAME@prod`), or `NAME` (latest): the CLI's one grammar. */
export function parseRef(text: string, which: string): VersionRef {
  return parseEnvironmentRef(text, `${which} version`);
}

export function diffText(
  diff: VersionDiff,
  title: { readonly from: string; readonly to: string },
): string[] {
  if (diff.same) return [`${title.from} and ${title.to} are the same`];
  const lines = [`--- ${title.from}`, `+++ ${title.to}`];
  if (diff.definition.length > 0) lines.push("", "definition:");
  for (const change of diff.definition) {
    const where = change.part === change.key ? change.part : `${change.part} ${change.key}`;
    if (change.kind === "added") lines.push(`  + ${where}: ${oneLine(change.to)}`);
    else if (change.kind === "removed") lines.push(`  - ${where}: ${oneLine(change.from)}`);
    else lines.push(`  ~ ${where}: ${oneLine(change.from)} -> ${oneLine(change.to)}`);
  }
  const { lock } = diff;
  if (!lock.compared) {
    lines.push("", "lock: not compared (a version has no lock)");
  } else if (lock.changes.length > 0 || lock.baseImageDigest !== undefined) {
    lines.push("", "lock:");
    if (lock.baseImageDigest !== undefined) {
      const { from, to } = lock.baseImageDigest;
      lines.push(`  ~ base image digest: ${from ?? "(none)"} -> ${to ?? "(none)"}`);
    }
    for (const change of lock.changes) lines.push(`  ${lockLine(change)}`);
  }
  return lines;
}

function lockLine(change: LockChange): string {
  const where = `${change.manager} ${change.name} (${change.platform})`;
  if (change.kind === "added") return `+ ${where}: ${locked(change.to)}`;
  if (change.kind === "removed") return `- ${where}: ${locked(change.from)}`;
  return `~ ${where}: ${locked(change.from)} -> ${locked(change.to)}`;
}

function locked(version: LockedVersion | undefined): string {
  if (version === undefined) return "";
  return version.build === undefined ? version.version : `${version.version} ${version.build}`;
}

/** A multi-line value (a Dockerfile) is shown by its first line and how many more there are. */
function oneLine(text: string | undefined): string {
  const lines = (text ?? "").split("\n");
  return lines.length <= 2
    ? lines.join(" ")
    : `${lines[0]} ${lines[1]} … (+${lines.length - 2} lines)`;
}
