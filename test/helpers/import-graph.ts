/**
 * @module The import graph of appliance/, for the import-rule test: every relative and package
 * import of every .ts file (type-only ones too: a type edge is still a dependency), folded into a
 * graph of folders (a file at the root is its own node), its cycles, and the edges a rule table
 * forbids. Pure apart from `readGraph`, which reads the files.
 */
import { Glob } from 'bun';
import { dirname, join, relative, resolve } from 'node:path';

/** One import: the importing file and what it names (a path relative to appliance/, or a package). */
export interface Edge {
  file: string;
  target: string;
  pkg: boolean;
}

// `import … from 'x'`, `export … from 'x'`, `import 'x'`, `import('x')` (also in type positions).
const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** The imports of one file's text; relative ones resolved against the file's folder (paths relative to the root). */
export function importsOf(file: string, text: string): Edge[] {
  const out: Edge[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = (m[1] ?? m[2] ?? m[3])!;
    if (spec.startsWith('.')) out.push({ file, target: join(dirname(file), spec).replace(/\.tsx?$/, ''), pkg: false });
    else if (!spec.startsWith('node:') && !spec.startsWith('bun'))
      out.push({ file, target: packageOf(spec), pkg: true });
  }
  return out;
}

/** `@scope/name/sub` -> `@scope/name`; `name/sub` -> `name`. */
export const packageOf = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

/** The node of a file in the folder graph: its top folder, or the file's own name at the root. */
export const folderOf = (path: string) => (path.includes('/') ? path.split('/')[0]! : path.replace(/\.tsx?$/, ''));

export type FolderGraph = Map<string, Set<string>>;

export function folderGraph(edges: Edge[]): FolderGraph {
  const g: FolderGraph = new Map();
  for (const e of edges) {
    if (e.pkg || e.target.startsWith('..')) continue;
    const [a, b] = [folderOf(e.file), folderOf(e.target)];
    if (!g.has(a)) g.set(a, new Set());
    if (a !== b) g.get(a)!.add(b);
  }
  return g;
}

/** Strongly connected sets of two or more folders (Tarjan), each sorted: every one is a loop. */
export function cycles(g: FolderGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1) out.push(scc.sort());
  };
  for (const v of [...g.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/**
 * A rule of the table. `folder` rules: files in `from` never import the folders in `never`.
 * `package` rules: only the files (or folders, ending in '/') in `only` import `pkg`.
 */
export type Rule = { from: string; never: string[]; why: string } | { pkg: string; only: string[]; why: string };

export interface Violation {
  file: string;
  target: string;
  why: string;
}

export function violations(edges: Edge[], rules: Rule[]): Violation[] {
  const out: Violation[] = [];
  for (const e of edges) {
    for (const r of rules) {
      const broken =
        'pkg' in r
          ? e.pkg && e.target === r.pkg && !r.only.some((o) => (o.endsWith('/') ? e.file.startsWith(o) : e.file === o))
          : !e.pkg && folderOf(e.file) === r.from && r.never.includes(folderOf(e.target));
      if (broken) out.push({ file: e.file, target: e.target, why: r.why });
    }
  }
  return out;
}

/** Every import of every .ts and .tsx file under `root` (paths relative to it). */
export async function readGraph(root: string): Promise<Edge[]> {
  const edges: Edge[] = [];
  for (const f of [...new Glob('**/*.{ts,tsx}').scanSync(root)].sort()) {
    const rel = relative(resolve(root), resolve(root, f));
    edges.push(...importsOf(rel, await Bun.file(join(root, f)).text()));
  }
  return edges;
}
