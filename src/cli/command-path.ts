/**
 * The command an invocation ran (`["env", "build"]`), told by the CLI to the bundle's loader
 * (bundle-loader.ts), which keeps the chunks that command loaded as its pack. A symbol in the
 * global registry: the loader and the chunks are separate bundles that share only the global.
 */
const KEY = Symbol.for("envforge.commandPath");

export function recordCommandPath(path: readonly string[]): void {
  (globalThis as Record<symbol, unknown>)[KEY] = [...path];
}

/** The command recorded by this process, or undefined when none ran (help, a usage error). */
export function recordedCommandPath(): readonly string[] | undefined {
  const path = (globalThis as Record<symbol, unknown>)[KEY];
  return Array.isArray(path) && path.every((word) => typeof word === "string")
    ? (path as string[])
    : undefined;
}
