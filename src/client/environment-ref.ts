/** `NAME`, `NAME@VERSION` or `NAME:LABEL`: which version a build or run means. */
import { ValidationError } from "../../errors/index.js";

export interface EnvironmentRef {
  readonly name: string;
  readonly version?: number;
  readonly label?: string;
}

export function parseEnvironmentRef(text: string): EnvironmentRef {
  const match = /^([^@:]+)(?:@([0-9]{1,10})|:([^@:]+))?$/.exec(text);
  if (match?.[1] === undefined) {
    throw ValidationError.single({
      key: "environment",
      message: "not an environment reference",
      found: JSON.stringify(text),
      allowed: "NAME, NAME@VERSION (e.g. pytorch@3) or NAME:LABEL (e.g. pytorch:prod)",
    });
  }
  return {
    name: match[1],
    ...(match[2] === undefined ? {} : { version: Number(match[2]) }),
    ...(match[3] === undefined ? {} : { label: match[3] }),
  };
}
