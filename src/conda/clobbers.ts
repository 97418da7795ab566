/**
 * When packages write the same path. The rule (rattler's; conda only warns and lets the last
 * write win): packages are ranked by link order (install-order.ts), and at every path the
 * highest-ranked package that has something at or below it wins. If its entry there is a file,
 * the file is kept and every other package's file at or below that path is moved aside to
 * `__clobbers__/<package>/<path>`; if it is a directory, files of lower packages at exactly that
 * path are moved aside and the rule applies again inside. Deterministic, and reported.
 */

export const CLOBBERS_DIR = "__clobbers__";

export interface ClobberInput {
  readonly name: string;
  /** Target paths of the package's files and links, relative to the prefix. */
  readonly paths: readonly string[];
}

export interface Clobber {
  readonly path: string;
  /** The package whose entry is at `path` (or under it, when a directory won). */
  readonly winner: string;
  /** Packages whose file at `path` was moved to `__clobbers__/<package>/<path>`. */
  readonly losers: readonly string[];
}

export interface ClobberPlan {
  /** Per package name: paths that move, original → `__clobbers__/...`. */
  readonly moved: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Sorted by path. */
  readonly clobbers: readonly Clobber[];
}

interface Node {
  readonly children: Map<string, Node>;
  /** Ranks of packages with a file exactly here. */
  readonly files: Set<number>;
  /** Ranks of packages with a file here or below. */
  readonly touching: Set<number>;
}

/** `packages` in link order: the last one has the highest rank. */
export function resolveClobbers(packages: readonly ClobberInput[]): ClobberPlan {
  const root = newNode();
  packages.forEach((pkg, rank) => {
    for (const path of new Set(pkg.paths)) {
      let node = root;
      node.touching.add(rank);
      for (const part of path.split("/")) {
        let child = node.children.get(part);
        if (child === undefined) {
          child = newNode();
          node.children.set(part, child);
        }
        node = child;
        node.touching.add(rank);
      }
      node.files.add(rank);
    }
  });

  const moved = new Map<string, Map<string, string>>();
  const clobbers: Clobber[] = [];
  const nameOf = (rank: number): string => packages[rank]?.name ?? "";
  const moveAside = (rank: number, path: string): void => {
    const name = nameOf(rank);
    const paths = moved.get(name) ?? new Map<string, string>();
    paths.set(path, `${CLOBBERS_DIR}/${name}/${path}`);
    moved.set(name, paths);
  };
  const losersBelow = (
    node: Node,
    path: string,
    winner: number,
    found: Map<string, Set<number>>,
  ): void => {
    for (const rank of node.files) {
      if (rank === winner) continue;
      const ranks = found.get(path) ?? new Set<number>();
      ranks.add(rank);
      found.set(path, ranks);
    }
    for (const [part, child] of node.children) losersBelow(child, `${path}/${part}`, winner, found);
  };

  const visit = (node: Node, path: string): void => {
    const winner = Math.max(...node.touching);
    if (node.files.has(winner)) {
      const found = new Map<string, Set<number>>();
      losersBelow(node, path, winner, found);
      for (const [lostPath, ranks] of found) {
        const sorted = [...ranks].sort((a, b) => b - a);
        for (const rank of sorted) moveAside(rank, lostPath);
        clobbers.push({ path: lostPath, winner: nameOf(winner), losers: sorted.map(nameOf) });
      }
      return;
    }
    if (node.files.size > 0) {
      const sorted = [...node.files].sort((a, b) => b - a);
      for (const rank of sorted) moveAside(rank, path);
      clobbers.push({ path, winner: nameOf(winner), losers: sorted.map(nameOf) });
    }
    for (const [part, child] of node.children) visit(child, path === "" ? part : `${path}/${part}`);
  };
  for (const [part, child] of root.children) visit(child, part);

  clobbers.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { moved, clobbers };
}

function newNode(): Node {
  return { children: new Map(), files: new Set(), touching: new Set() };
}
