/**
 * What a user is told when a solve fails: rattler's explanation with the solver's loopback
 * mirror replaced by channel names, repeated build alternatives folded to versions, cut to a
 * screen, and a hint when a virtual package (the target system) is what is missing.
 */
import { ExternalError, ValidationError } from "../errors/index.js";
import type { Channel } from "./channels.js";
import { RattlerFailure } from "./rattler-solver.js";
import { formatVirtualPackage } from "./virtual-packages.js";
import type { VirtualPackage } from "./virtual-packages.js";

export interface SolveErrorContext {
  readonly platform: string;
  readonly channels: readonly Channel[];
  /** The specs as the user wrote them, in order. */
  readonly specs: readonly string[];
  readonly virtualPackages: readonly VirtualPackage[];
  /** Base URL of the loopback mirror the solver read the channels from. */
  readonly mirror: string;
  readonly file?: string;
  readonly key?: string;
}

/** Longest solver explanation shown; the full text stays in the error's cause. */
export const MAX_EXPLANATION_LINES = 24;

/** Max alternatives kept from rattler's `a | b | c …` lists of candidate versions. */
const MAX_ALTERNATIVES = 4;

export function solveError(error: unknown, options: SolveErrorContext): Error {
  if (error instanceof RattlerFailure && error.crashed) {
    return new ExternalError(`${error.message} while solving for ${options.platform}`, {
      cause: error,
    });
  }
  const raw = typeof error === "string" ? error : error instanceof Error ? error.message : "";
  // Mirror URLs mean nothing to a user: name the real channel instead.
  const text = raw
    .replace(/https?:\/\/[^\s/]+\/c(\d+)\/?/g, (whole, index: string) => {
      return options.mirror && whole.startsWith(options.mirror)
        ? (options.channels[Number(index)]?.name ?? whole)
        : whole;
    })
    .trim();
  const at = { ...(options.file ? { file: options.file } : {}) };
  const unsolvable = /^Cannot solve the request because of:\s*/.exec(text);
  if (unsolvable) {
    return ValidationError.single(
      {
        ...at,
        key: options.key ?? "dependencies",
        message:
          `cannot be solved for ${options.platform}: ` +
          shorten(text.slice(unsolvable[0].length)) +
          virtualPackageHints(text, options.virtualPackages),
      },
      { cause: error },
    );
  }
  const badSpec = /^(?:unable to parse|failed to parse|invalid)\b[^:]*:\s*(.*)$/i.exec(text);
  if (badSpec) {
    const fragment = badSpec[1]?.trim() ?? "";
    const index = options.specs.findIndex((spec) => fragment !== "" && spec.includes(fragment));
    const key = options.key ?? "dependencies";
    return ValidationError.single(
      {
        ...at,
        key: index < 0 ? key : `${key}[${index}]`,
        message: `not a valid conda match spec: ${text}`,
        ...(index < 0 ? {} : { found: JSON.stringify(options.specs[index]) }),
        allowed: 'a match spec such as "numpy>=1.2" or "python=3.10"',
      },
      { cause: error },
    );
  }
  return new ExternalError(`the conda solver failed for ${options.platform}: ${text}`, {
    cause: error,
  });
}

/**
 * A virtual package in the explanation is about the target system, which the definition sets:
 * say what was assumed and which variable changes it.
 */
function virtualPackageHints(text: string, assumed: readonly VirtualPackage[]): string {
  const named = new Set([...text.matchAll(/\b__([a-z]+)\b/g)].map((m) => m[1] ?? ""));
  return [...named]
    .sort()
    .flatMap((name) => {
      const variable = `CONDA_OVERRIDE_${name.toUpperCase()}`;
      const pkg = assumed.find((p) => p.name === `__${name}`);
      if (!["cuda", "glibc", "linux", "osx", "archspec"].includes(name)) return [];
      const now = pkg === undefined ? `no __${name}` : formatVirtualPackage(pkg);
      return [
        `\nhint: the target has ${now}; set ${variable} in the definition's variables to change it`,
      ];
    })
    .join("");
}

export function shorten(explanation: string): string {
  const lines = explanation.split("\n").map((line) => shortenAlternatives(line.trimEnd()));
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length <= MAX_EXPLANATION_LINES) return lines.join("\n");
  const rest = lines.length - MAX_EXPLANATION_LINES;
  return [...lines.slice(0, MAX_EXPLANATION_LINES), `… (${rest} more lines)`].join("\n");
}

/**
 * rattler lists one alternative per build (`scipy 0.19.1 | 0.19.1 | 0.19.1 would require`): a
 * user acts on versions, so repeats go and long lists are cut.
 */
function shortenAlternatives(line: string): string {
  return line.replace(/\S+(?: \| \S+)+/g, (list) => {
    const unique = [...new Set(list.split(" | "))];
    if (unique.length <= MAX_ALTERNATIVES) return unique.join(" | ");
    const rest = unique.length - MAX_ALTERNATIVES;
    return `${unique.slice(0, MAX_ALTERNATIVES).join(" | ")} | … (${rest} more)`;
  });
}
