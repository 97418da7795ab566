/** `--version N` / `--label L`: which version of an environment a command means. */
import { ValidationError } from "../../errors/index.js";

export function versionOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,10}$/.test(text)) {
    throw ValidationError.single({
      key: "--version",
      message: "not a version number",
      found: JSON.stringify(text),
      allowed: "a whole number such as 3",
    });
  }
  return Number(text);
}

export function selector(options: { readonly version?: string; readonly label?: string }): {
  readonly version?: number;
  readonly label?: string;
} {
  const version = versionOption(options.version);
  return {
    ...(version === undefined ? {} : { version }),
    ...(options.label === undefined ? {} : { label: options.label }),
  };
}
