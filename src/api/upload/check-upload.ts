/**
 * Checks an upload before any of it touches the disk: every path is a plain relative POSIX path
 * (no `..`, no absolute path, no NUL or control character, no backslash), no file doubles as a
 * folder, and nothing the definition refers to (conda_file, build.path, `-r`/`-c` includes)
 * points outside the upload. Without the last check an uploaded envforge.yaml could name
 * `conda_file: /etc/passwd` and make the server read its own files.
 */
import { posix } from "node:path";
import type { Problem } from "../../errors/index.js";
import { ValidationError } from "../../errors/index.js";
import { detectFileKind } from "../../host/detect-kind.js";
import type { SourceText } from "../../definition/definition.js";
import { envforgeFileNeeds, parseEnvforgeFile } from "../../definition/envforge-file.js";
import { parsePipRequirements } from "../../definition/pip-requirements.js";
import type { DefinitionUpload } from "./upload-schema.js";
import { MAX_UPLOAD_FILES, MAX_UPLOAD_PATH_LENGTH } from "./upload-schema.js";

const PATH_ALLOWED =
  'a relative POSIX path inside the upload, e.g. "context/Dockerfile" (no "..", no leading "/", no "\\", no control characters)';

/** Why a path is not acceptable, or undefined when it is. */
export function pathProblem(path: string): string | undefined {
  if (path === "") return "is empty";
  if (path.length > MAX_UPLOAD_PATH_LENGTH) return `is longer than ${MAX_UPLOAD_PATH_LENGTH}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return "holds a NUL or control character";
  if (path.includes("\\")) return 'holds a "\\"';
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "is absolute";
  const segments = path.split("/");
  if (segments.includes("..")) return 'climbs out with ".."';
  if (segments.some((segment) => segment === "" || segment === ".")) {
    return 'is not normalised (empty or "." segment)';
  }
  return undefined;
}

export function checkUpload(upload: DefinitionUpload): void {
  const problems: Problem[] = [];
  const paths = Object.keys(upload.files).sort();
  if (paths.length === 0) {
    problems.push({
      key: "files",
      message: "no files were uploaded",
      allowed: "at least the entry",
    });
  }
  if (paths.length > MAX_UPLOAD_FILES) {
    problems.push({
      key: "files",
      message: "too many files",
      found: String(paths.length),
      allowed: `at most ${MAX_UPLOAD_FILES}`,
    });
  }
  for (const path of paths) {
    const reason = pathProblem(path);
    if (reason !== undefined) {
      problems.push({
        key: "files",
        message: `file name ${reason}`,
        found: JSON.stringify(path),
        allowed: PATH_ALLOWED,
      });
    }
  }
  const set = new Set(paths);
  for (const path of paths) {
    const segments = path.split("/");
    for (let i = 1; i < segments.length; i++) {
      const folder = segments.slice(0, i).join("/");
      if (set.has(folder)) {
        problems.push({
          key: "files",
          message: "a path is both a file and a folder",
          found: JSON.stringify(folder),
        });
      }
    }
  }
  if (upload.entry !== "." && pathProblem(upload.entry) !== undefined) {
    problems.push({
      key: "entry",
      message: `the entry ${pathProblem(upload.entry) ?? ""}`,
      found: JSON.stringify(upload.entry),
      allowed: PATH_ALLOWED,
    });
  } else if (!set.has(upload.entry) && !isFolder(paths, upload.entry)) {
    problems.push({
      key: "entry",
      message: "the entry is not among the uploaded files",
      found: JSON.stringify(upload.entry),
      allowed: paths.length > 20 ? "one of the uploaded paths" : paths.join(", "),
    });
  }
  if (upload.dockerfilePath !== undefined && pathProblem(upload.dockerfilePath) !== undefined) {
    problems.push({
      key: "dockerfilePath",
      message: `the Dockerfile path ${pathProblem(upload.dockerfilePath) ?? ""}`,
      found: JSON.stringify(upload.dockerfilePath),
      allowed: PATH_ALLOWED,
    });
  }
  if (problems.length > 0) throw new ValidationError(problems);
  problems.push(...referenceProblems(upload));
  if (problems.length > 0) throw new ValidationError(problems);
}

function isFolder(paths: readonly string[], folder: string): boolean {
  return folder === "." || paths.some((path) => path.startsWith(`${folder}/`));
}

/** Files the entry refers to must be inside the upload. Parse errors are left to the loader. */
function referenceProblems(upload: DefinitionUpload): Problem[] {
  const text = textOf(upload, upload.entry);
  if (text === undefined) return []; // a folder, or bytes: nothing refers onwards
  const source: SourceText = { path: upload.entry, text };
  const kind = upload.kind ?? detectFileKind(source);
  const folder = posix.dirname(upload.entry);
  const problems: Problem[] = [];
  const refuse = (key: string, path: string): void => {
    problems.push({
      file: upload.entry,
      key,
      message: "refers to a file outside the upload",
      found: JSON.stringify(path),
      allowed: "a relative path to an uploaded file, without climbing above the upload's root",
    });
  };
  if (kind === "pip") {
    try {
      parsePipRequirements(source, {
        readInclude: (path) => {
          if (!inside(path)) {
            refuse("-r/-c", path);
            return undefined;
          }
          const included = textOf(upload, posix.normalize(path));
          return included === undefined ? undefined : { path, text: included };
        },
      });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
    }
  }
  if (kind === "envforge" || kind === "azureml-v2") {
    let needs;
    try {
      needs = envforgeFileNeeds(
        parseEnvforgeFile(source, upload.kind === undefined ? {} : { kind }),
      );
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return problems;
    }
    const { condaFile, buildContext } = needs;
    if (condaFile !== undefined && !insideFrom(folder, condaFile)) refuse("conda_file", condaFile);
    if (buildContext !== undefined && !insideFrom(folder, buildContext.path)) {
      refuse("build.path", buildContext.path);
    }
  }
  return dedupe(problems);
}

function insideFrom(folder: string, path: string): boolean {
  return !posix.isAbsolute(path) && inside(posix.join(folder, path));
}

function inside(path: string): boolean {
  if (posix.isAbsolute(path)) return false;
  const normal = posix.normalize(path);
  return normal !== ".." && !normal.startsWith("../");
}

function textOf(upload: DefinitionUpload, path: string): string | undefined {
  const file = upload.files[path];
  return typeof file === "string" ? file : undefined;
}

function dedupe(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.key}\u0000${problem.found}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
