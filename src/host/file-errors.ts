/**
 * File-system failures as envforge errors that name the file: what the user can fix (missing,
 * unreadable, a folder where a file was expected) is a ValidationError; anything else is an
 * ExternalError carrying the original as `cause`.
 */
import { readFileSync, statSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import type { Problem } from "../errors/index.js";
import { ExternalError, ValidationError } from "../errors/index.js";
import type { SourceText } from "../definition/definition.js";
import { fileSizeProblem } from "../definition/input-limits.js";

const USER_FIXABLE: Readonly<Record<string, string>> = {
  ENOENT: "no such file or folder",
  ENOTDIR: "a part of the path is not a folder",
  EISDIR: "is a folder, not a file",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ELOOP: "too many levels of symlinks",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EEXIST: "already exists",
  ENOTEMPTY: "the folder is not empty",
};

export function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

/** A Problem for a failed file operation, or undefined when it is not the user's to fix. */
export function fileProblem(path: string, verb: string, error: unknown): Problem | undefined {
  const code = errorCode(error);
  const reason = code === undefined ? undefined : USER_FIXABLE[code];
  return reason === undefined ? undefined : { file: path, message: `cannot ${verb}: ${reason}` };
}

/** The envforge error for a failed file operation on `path`. */
export function fileError(path: string, verb: string, error: unknown): Error {
  const problem = fileProblem(path, verb, error);
  if (problem !== undefined) return ValidationError.single(problem, { cause: error });
  const text = error instanceof Error ? error.message : String(error);
  return new ExternalError(`${path}: cannot ${verb}: ${text}`, { cause: error });
}

/** Reads a UTF-8 text file; the SourceText keeps the path as the user gave it. */
export async function readSourceText(path: string): Promise<SourceText> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw fileError(path, "read the file", error);
  }
  // Refused before reading: a huge file would otherwise be read whole into memory.
  const tooBig = fileSizeProblem(path, size);
  if (tooBig !== undefined) throw ValidationError.single(tooBig);
  try {
    return { path, text: await readFile(path, "utf8") };
  } catch (error) {
    throw fileError(path, "read the file", error);
  }
}

/** Like readSourceText, but undefined when the file does not exist. */
export async function readOptionalSourceText(path: string): Promise<SourceText | undefined> {
  try {
    await stat(path);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw fileError(path, "read the file", error);
  }
  return readSourceText(path);
}

/** For parsers that take a synchronous reader (pip `-r` includes): undefined when unreadable. */
export function readSourceTextSync(path: string): SourceText | undefined {
  try {
    const tooBig = fileSizeProblem(path, statSync(path).size);
    if (tooBig !== undefined) throw ValidationError.single(tooBig);
    return { path, text: readFileSync(path, "utf8") };
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    return undefined;
  }
}
