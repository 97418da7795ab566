/**
 * Path parameters as the service takes them. A version that is not digits becomes NaN, so the
 * service's own check reports it (422, with found/allowed) like any other invalid version.
 */
export function versionNumber(text: string): number {
  return /^[0-9]{1,10}$/.test(text) ? Number(text) : Number.NaN;
}

export function includeArchived(flag: "true" | "false" | undefined): boolean | undefined {
  return flag === undefined ? undefined : flag === "true";
}
