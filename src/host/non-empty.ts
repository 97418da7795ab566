/** A setting's value trimmed, or undefined when it is unset or blank: blank means "not set". */
export function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}
