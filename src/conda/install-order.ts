/**
 * The order packages are linked in, and so their priority when two write the same path (the
 * last linked wins). Dependencies come before their dependents; ties are broken by name the way
 * rattler's `sort_topologically` breaks them, so envforge and rattler pick the same winner for
 * the same set of packages, whatever order the lock lists them in.
 */

export interface Orderable {
  readonly name: string;
  readonly depends: readonly string[];
}

/** The package name a match spec names: `numpy >=1.2` / `conda-forge::numpy[...]` → `numpy`. */
export function specName(spec: string): string {
  const withoutChannel = spec.includes("::") ? spec.slice(spec.lastIndexOf("::") + 2) : spec;
  return (withoutChannel.trim().split(/[\s=<>!~[,|]/)[0] ?? "").toLowerCase();
}

export function installOrder<T extends Orderable>(packages: readonly T[]): T[] {
  const byName = new Map(packages.map((pkg) => [pkg.name.toLowerCase(), pkg]));
  const dependencies = (name: string): string[] => {
    const pkg = byName.get(name);
    if (pkg === undefined) return [];
    return [...new Set(pkg.depends.map(specName))].filter((dep) => byName.has(dep)).sort();
  };
  const dependedOn = new Set([...byName.keys()].flatMap(dependencies));
  type Step = { readonly resolve: string } | { readonly link: string };
  const stack: Step[] = [...byName.keys()]
    .filter((name) => !dependedOn.has(name))
    .sort()
    .map((name) => ({ resolve: name }));
  const visited = new Set<string>();
  const order: string[] = [];
  for (;;) {
    // A stack, so the last-sorted root is taken first and the first-sorted one linked last.
    for (let step = stack.pop(); step !== undefined; step = stack.pop()) {
      if ("link" in step) {
        order.push(step.link);
      } else if (!visited.has(step.resolve)) {
        visited.add(step.resolve);
        stack.push({ link: step.resolve });
        stack.push(...dependencies(step.resolve).map((dep) => ({ resolve: dep })));
      }
    }
    // Packages only reachable through a cycle have no root: start from them, by name.
    const left = [...byName.keys()].filter((name) => !visited.has(name)).sort();
    if (left.length === 0) break;
    stack.push(...left.map((name) => ({ resolve: name })));
  }
  return order.map((name) => byName.get(name)).filter((pkg) => pkg !== undefined);
}
