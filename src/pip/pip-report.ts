/**
 * pip's installation report (`pip install --dry-run --report`, format version 1) → locked
 * distributions. Pure: the report is checked with zod, never cast.
 * https://pip.pypa.io/en/stable/reference/installation-report/
 */
import * as z from "zod";
import { byCodeUnits } from "../definition/canonical-json.js";
import { stripUrlCredentials } from "../definition/definition-hash.js";
import type { LockedPipPackage } from "../definition/lock.js";
import { normalizePipName } from "../definition/pep503.js";

const Report = z.looseObject({
  version: z.literal("1"),
  install: z.array(
    z.looseObject({
      download_info: z.looseObject({
        url: z.string().min(1),
        archive_info: z
          .looseObject({
            hash: z.string().optional(),
            hashes: z.record(z.string(), z.string()).optional(),
          })
          .optional(),
      }),
      metadata: z.looseObject({ name: z.string().min(1), version: z.string().min(1) }),
    }),
  ),
});

/** One distribution pip chose; `sha256` is absent when the index gave no hash for the file. */
export interface ReportedWheel {
  readonly name: string;
  readonly version: string;
  readonly url: string;
  readonly filename: string;
  readonly sha256?: string;
}

/** The wheels of a report, sorted by name; throws when the report is not pip's format 1. */
export function wheelsOfReport(text: string): ReportedWheel[] {
  const report = Report.parse(JSON.parse(text));
  return report.install
    .map((item): ReportedWheel => {
      const url = new URL(item.download_info.url);
      url.hash = "";
      const archive = item.download_info.archive_info;
      const sha256 =
        archive?.hashes?.["sha256"] ?? /^sha256=([0-9a-f]{64})$/.exec(archive?.hash ?? "")?.[1];
      return {
        name: normalizePipName(item.metadata.name),
        version: item.metadata.version,
        url: stripUrlCredentials(url.href),
        filename: decodeURIComponent(url.pathname.split("/").pop() ?? ""),
        ...(sha256 === undefined ? {} : { sha256: sha256.toLowerCase() }),
      };
    })
    .sort((a, b) => byCodeUnits(a.name, b.name));
}

/** A reported wheel with its hash known. */
export function lockedWheel(wheel: ReportedWheel, sha256: string): LockedPipPackage {
  return {
    name: wheel.name,
    version: wheel.version,
    url: wheel.url,
    sha256,
    filename: wheel.filename,
  };
}
