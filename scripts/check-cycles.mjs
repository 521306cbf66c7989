#!/usr/bin/env node
// Import-cycle check for src/: exits 1 and prints every cycle of more than one file.
// Every static `import … from`, `import type … from`, `export … from` and bare `import '…'`
// counts, type-only ones included: a type cycle is still a knot in the reading order.
// Usage: node scripts/check-cycles.mjs [srcDir]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const IMPORT_RE = /^\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Resolves a relative specifier to a file under the tree, or undefined. */
function resolveSpec(file, spec) {
  const base = resolve(dirname(file), spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(c) && statSync(c).isFile());
}

/** The import graph of every `.ts` file under `srcDir`: file → files it imports. */
export function importGraph(srcDir) {
  const graph = new Map();
  for (const file of walk(srcDir)) {
    const edges = new Set();
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2];
      if (!spec?.startsWith('.')) continue;
      const target = resolveSpec(file, spec);
      if (target && target !== file) edges.add(target);
    }
    graph.set(file, [...edges]);
  }
  return graph;
}

/** Tarjan's strongly connected components, iterative; returns the components of more than one node. */
export function stronglyConnected(graph) {
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const out = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
  };
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work = [[root, 0]];
    visit(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [v, i] = frame;
      const edges = graph.get(v) ?? [];
      if (i < edges.length) {
        frame[1] = i + 1;
        const w = edges[i];
        if (!index.has(w)) {
          visit(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) {
          low.set(v, Math.min(low.get(v), index.get(w)));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(v)));
      }
      if (low.get(v) === index.get(v)) {
        const component = [];
        let w;
        do {
          w = stack.pop();
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        if (component.length > 1) out.push(component.sort());
      }
    }
  }
  return out;
}

/** One shortest cycle through the component's first file (breadth-first inside the component). */
export function cycleIn(graph, component) {
  const members = new Set(component);
  const start = component[0];
  const prev = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(prev.get(path[0]));
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return component;
}

/** Every import cycle under `srcDir` as `{files, cycle}`, paths relative to `srcDir`. */
export function findCycles(srcDir) {
  const graph = importGraph(srcDir);
  const rel = (f) => relative(srcDir, f).split(sep).join('/');
  return stronglyConnected(graph).map((c) => ({ files: c.map(rel), cycle: cycleIn(graph, c).map(rel) }));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const srcDir = resolve(process.argv[2] ?? 'src');
  const cycles = findCycles(srcDir);
  if (cycles.length > 0) {
    console.error(`cycle check: ${cycles.length} import cycle(s)`);
    for (const { files, cycle } of cycles) {
      console.error(`  ${files.length} files: ${cycle.join(' → ')}`);
      if (files.length > cycle.length - 1) console.error(`    all of: ${files.join(', ')}`);
    }
    process.exit(1);
  }
  console.log('cycle check: ok');
}
