/**
 * The image's software bill of materials as CycloneDX 1.5 JSON: every conda, pip and apt package
 * of the lock's platform with its version, purl, sha256 (conda and pip) and license where the
 * package states one. Pure and deterministic: components sorted by purl, the serial number and
 * timestamp derived from the image hash and SOURCE_DATE_EPOCH, so the same image gets the same
 * SBOM bytes and digest.
 */
import { createHash } from "node:crypto";
import { PackageURL } from "packageurl-js";
import { byCodeUnits } from "../../definition/canonical-json.js";
import type { Lock } from "../../definition/lock.js";

export const CYCLONEDX_MEDIA_TYPE = "application/vnd.cyclonedx+json";

export interface SbomOptions {
  readonly lock: Lock;
  readonly platform: string;
  /** `envforge_<32 hex>`: names the image component and seeds the serial number. */
  readonly imageHash: string;
  readonly imageName: string;
  readonly sourceDateEpoch: number;
  /** License by conda package file name (from the package's info/index.json). */
  readonly condaLicenses?: ReadonlyMap<string, string>;
  readonly envforgeVersion?: string;
}

interface Component {
  readonly type: "library" | "operating-system";
  readonly "bom-ref": string;
  readonly name: string;
  readonly version: string;
  readonly purl: string;
  readonly hashes?: readonly { readonly alg: "SHA-256"; readonly content: string }[];
  readonly licenses?: readonly { readonly license: { readonly name: string } }[];
}

export function cycloneDxSbom(options: SbomOptions): Uint8Array {
  const platform = options.lock.platforms.find((p) => p.platform === options.platform);
  const components: Component[] = [];
  for (const pkg of platform?.conda ?? []) {
    const purl = new PackageURL("conda", null, pkg.name, pkg.version, {
      build: pkg.build,
      channel: pkg.channel,
      subdir: pkg.subdir,
      type: pkg.filename.endsWith(".conda") ? "conda" : "tar.bz2",
    }).toString();
    const license = options.condaLicenses?.get(pkg.filename);
    components.push({
      type: "library",
      "bom-ref": purl,
      name: pkg.name,
      version: pkg.version,
      purl,
      hashes: [{ alg: "SHA-256", content: pkg.sha256 }],
      ...(license === undefined || license === ""
        ? {}
        : { licenses: [{ license: { name: license } }] }),
    });
  }
  for (const pkg of platform?.pip ?? []) {
    const purl = new PackageURL(
      "pypi",
      null,
      pkg.name.toLowerCase(),
      pkg.version,
      null,
      null,
    ).toString();
    components.push({
      type: "library",
      "bom-ref": purl,
      name: pkg.name,
      version: pkg.version,
      purl,
      hashes: [{ alg: "SHA-256", content: pkg.sha256 }],
    });
  }
  for (const pkg of platform?.apt ?? []) {
    const purl = new PackageURL("deb", "debian", pkg.name, pkg.version, null, null).toString();
    components.push({
      type: "library",
      "bom-ref": purl,
      name: pkg.name,
      version: pkg.version,
      purl,
    });
  }
  components.sort((a, b) => byCodeUnits(a.purl, b.purl));
  const document = {
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    serialNumber: `urn:uuid:${uuidOf(options.imageHash)}`,
    version: 1,
    metadata: {
      timestamp: new Date(options.sourceDateEpoch * 1000).toISOString().replace(".000Z", "Z"),
      tools: {
        components: [
          {
            type: "application",
            name: "envforge",
            ...(options.envforgeVersion === undefined ? {} : { version: options.envforgeVersion }),
          },
        ],
      },
      component: { type: "container", "bom-ref": options.imageHash, name: options.imageName },
    },
    components,
  };
  return new TextEncoder().encode(JSON.stringify(document));
}

/** A version-4-shaped UUID from sha256 of the text: the same image, the same serial number. */
function uuidOf(text: string): string {
  const hex = createHash("sha256").update(text, "utf8").digest("hex");
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
