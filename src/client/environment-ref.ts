/**
 * The one grammar for naming an environment's version, used by every command and the SDK:
 * `NAME` (latest), `NAME@VERSION` (e.g. pytorch@3) or `NAME:LABEL` (e.g. pytorch:prod).
 * `NAME@LABEL` is read as a label too (`env diff` took it first); versions are numbers, so the
 * two never collide.
 */
import { ValidationError } from "../errors/index.js";

export interface EnvironmentRef {
  readonly name: string;
  readonly version?: number;
  readonly label?: string;
}

/** How a reference is described in help texts and error messages. */
export const ENVIRONMENT_REF_FORMS =
  "NAME, NAME@VERSION (e.g. pytorch@3) or NAME:LABEL (e.g. pytorch:prod)";

export function parseEnvironmentRef(text: string, key = "environment"): EnvironmentRef {
  const match = /^([^@:\s]+)(?:@([^@:\s]+)|:([^@:\s]+))?$/.exec(text);
  if (match?.[1] === undefined) {
    throw ValidationError.single({
      key,
      message: "not an environment reference",
      found: JSON.stringify(text),
      allowed: ENVIRONMENT_REF_FORMS,
    });
  }
  const [, name, after, label] = match;
  if (after === undefined) return { name, ...(label === undefined ? {} : { label }) };
  if (after === "latest") return { name };
  return /^[0-9]{1,10}$/.test(after) ? { name, version: Number(after) } : { name, label: after };
}

/**
 * A reference with the `--version N` / `--label L` flags some commands also take: the flags may
 * repeat what the reference says but not contradict it, and only one of version and label names
 * the version.
 */
export function refWithFlags(
  text: string,
  flags: { readonly version?: number; readonly label?: string },
): EnvironmentRef {
  const ref = parseEnvironmentRef(text);
  const version = ref.version ?? flags.version;
  const label = ref.label ?? flags.label;
  const conflicts: string[] = [];
  if (ref.version !== undefined && flags.version !== undefined && ref.version !== flags.version) {
    conflicts.push(`${text} and --version ${flags.version}`);
  }
  if (ref.label !== undefined && flags.label !== undefined && ref.label !== flags.label) {
    conflicts.push(`${text} and --label ${flags.label}`);
  }
  if (conflicts.length === 0 && version !== undefined && label !== undefined) {
    conflicts.push(`version ${version} and label ${label}`);
  }
  if (conflicts.length > 0) {
    throw ValidationError.single({
      key: "environment",
      message: "names two different versions",
      found: conflicts.join(", "),
      allowed: `one version: ${ENVIRONMENT_REF_FORMS}`,
    });
  }
  return {
    name: ref.name,
    ...(version === undefined ? {} : { version }),
    ...(label === undefined ? {} : { label }),
  };
}
