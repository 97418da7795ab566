// Module customization hook (runs on the loader's thread): records each resolved URL, one a line.
import { appendFileSync } from "node:fs";

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  const file = process.env.ENVFORGE_MODULE_TRACE;
  if (file) appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}
