/**
 * Writing the environment's path into files built with a placeholder prefix, the way conda does
 * (conda/core/portability.py): text files get a plain replacement (with shebang care), binary
 * files keep their length, each C string holding the placeholder padded with NULs at its end.
 */
import { ValidationError } from "../errors/index.js";

/** Linux execve reads at most 127 bytes of a `#!` line (conda's MAX_SHEBANG_LENGTH). */
export const MAX_SHEBANG_LENGTH = 127;

/**
 * Text mode. A prefix with spaces is escaped in the shebang first, so the long-shebang rule
 * below turns it into `#!/usr/bin/env <exe>` (conda does the same; the env must be activated).
 */
export function replaceTextPlaceholder(data: Buffer, placeholder: string, prefix: string): Buffer {
  let result = data;
  const newline = result.indexOf(0x0a);
  if (newline > -1) {
    const first = result.subarray(0, newline);
    const shebangPlaceholder = Buffer.from(`#!${placeholder}`);
    if (first.includes(shebangPlaceholder)) {
      const escaped = Buffer.from(`#!${prefix.replaceAll(" ", "\\ ")}`);
      result = Buffer.concat([
        replaceAll(first, shebangPlaceholder, escaped),
        result.subarray(newline),
      ]);
    }
  }
  return shortenLongShebang(replaceAll(result, Buffer.from(placeholder), Buffer.from(prefix)));
}

/**
 * `#!/long/prefix/bin/python -u` becomes `#!/usr/bin/env python -u` when the line is longer than
 * the kernel reads or its interpreter path has an escaped space.
 */
export function shortenLongShebang(data: Buffer): Buffer {
  if (data[0] !== 0x23 || data[1] !== 0x21) return data;
  const end = data.indexOf(0x0a);
  const line = data.subarray(0, end === -1 ? data.length : end).toString("utf8");
  const match = /^#![ ]*(\/(?:\\ |[^ \n\r\t])*)(.*)$/.exec(line);
  if (match === null) return data;
  const executable = match[1] ?? "";
  const options = match[2] ?? "";
  const slash = executable.lastIndexOf("/");
  const folder = executable.slice(0, slash);
  const name = executable.slice(slash + 1);
  if (Buffer.byteLength(line) <= MAX_SHEBANG_LENGTH && !folder.includes("\\ ")) return data;
  const shebang = Buffer.from(`#!/usr/bin/env ${name}${options}`);
  return Buffer.concat([shebang, data.subarray(end === -1 ? data.length : end)]);
}

export interface BinaryReplaceOptions {
  /** Names the file in the error, e.g. `zlib-1.2.11-h7b6447c_3: lib/libz.so`. */
  readonly label: string;
}

/**
 * Binary mode: from each placeholder to the next NUL is one C string; every placeholder in it
 * is replaced and the string is padded with NULs so the file keeps its length and every offset.
 * A string with no NUL after it is left alone, as conda leaves it.
 */
export function replaceBinaryPlaceholder(
  data: Buffer,
  placeholder: string,
  prefix: string,
  options: BinaryReplaceOptions,
): Buffer {
  const search = Buffer.from(placeholder);
  const replacement = Buffer.from(prefix);
  if (replacement.length > search.length && data.includes(search)) {
    throw ValidationError.single({
      key: "target-prefix",
      message: `${options.label}: the target prefix is longer than the package's binary placeholder, so it cannot be written into this binary file; choose a shorter target prefix`,
      found: `${JSON.stringify(prefix)} (${replacement.length} bytes)`,
      allowed: `at most ${search.length} bytes`,
    });
  }
  const out = Buffer.from(data);
  let at = out.indexOf(search);
  while (at !== -1) {
    const nul = out.indexOf(0, at);
    if (nul === -1) break;
    const segment = out.subarray(at, nul);
    const replaced = replaceAll(segment, search, replacement);
    replaced.copy(out, at);
    out.fill(0, at + replaced.length, nul);
    at = out.indexOf(search, nul + 1);
  }
  return out;
}

function replaceAll(data: Buffer, search: Buffer, replacement: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  let at = data.indexOf(search, from);
  if (at === -1) return data;
  while (at !== -1) {
    parts.push(data.subarray(from, at), replacement);
    from = at + search.length;
    at = data.indexOf(search, from);
  }
  parts.push(data.subarray(from));
  return Buffer.concat(parts);
}
