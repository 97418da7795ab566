/**
 * What envforge must know about a user's Dockerfile before appending its own instructions to it:
 * the escape character (a `# escape=` directive changes it), the user the last stage ends as (so
 * envforge can switch to root for its steps and back), and whether the text ends inside a line
 * continuation (which would swallow envforge's first instruction).
 */
import type { EscapeChar } from "./dockerfile-text.js";

export interface UserDockerfile {
  readonly escape: EscapeChar;
  /** The argument of the last `USER` in the final stage, as written; absent = not set there. */
  readonly finalUser?: string;
  /** True when the last instruction line ends with the escape character. */
  readonly endsInContinuation: boolean;
  /** The last line that is neither blank nor a comment, for messages. */
  readonly lastLine?: string;
}

const DIRECTIVE = /^#\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(\S.*?)\s*$/;

export function readUserDockerfile(text: string): UserDockerfile {
  const lines = text.split("\n").map((line) => line.replace(/\r$/, ""));
  const escape = escapeDirective(lines);
  const content = lines.filter((line) => line.trim() !== "" && !/^\s*#/.test(line));
  const continuation = new RegExp(`${escape === "`" ? "`" : "\\\\"}[ \\t]*$`);
  const last = content[content.length - 1];
  const finalUser = lastUser(logicalLines(content, continuation));
  return {
    escape,
    ...(finalUser === undefined ? {} : { finalUser }),
    endsInContinuation: last !== undefined && continuation.test(last),
    ...(last === undefined ? {} : { lastLine: last }),
  };
}

/** Parser directives are only read at the very top, before any other line (Dockerfile reference). */
function escapeDirective(lines: readonly string[]): EscapeChar {
  let escape: EscapeChar = "\\";
  for (const line of lines) {
    const match = DIRECTIVE.exec(line);
    if (match === null) break;
    if (match[1]?.toLowerCase() === "escape" && match[2] === "`") escape = "`";
  }
  return escape;
}

function logicalLines(content: readonly string[], continuation: RegExp): string[] {
  const out: string[] = [];
  let current = "";
  for (const line of content) {
    if (continuation.test(line)) {
      current += `${line.replace(continuation, "")} `;
    } else {
      out.push(current + line);
      current = "";
    }
  }
  if (current !== "") out.push(current);
  return out;
}

function lastUser(instructions: readonly string[]): string | undefined {
  let user: string | undefined;
  for (const line of instructions) {
    const match = /^\s*([A-Za-z]+)(?:\s+(.*?))?\s*$/.exec(line);
    const keyword = match?.[1]?.toUpperCase();
    if (keyword === "FROM") user = undefined;
    if (keyword === "USER") user = match?.[2];
  }
  return user;
}
