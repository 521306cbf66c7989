import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// The repository stands alone: every `.md` a source file cites is one of its own `docs/*.md`, and a
// section cited by its quoted heading (`docs/calls.md "Status machine"`) exists under that name.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');

/** A document named in a source file, with the heading quoted right after it, if any. */
interface Citation {
  where: string;
  doc: string;
  heading?: string;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const CITATION = /(?:[\w.-]+\/)*[a-z][a-z0-9-]*\.md\b/g;
// A quoted heading may follow on the next comment line: `docs/media.md\n * "Bridging"`.
const QUOTED_HEADING = /^\s*(?:\*\s*|\/\/\s*)?"([^"\n]+)"/;

/** Every `.md` citation in `text`, as `file:line`. */
function citationsIn(text: string, file: string): Citation[] {
  const out: Citation[] = [];
  for (const m of text.matchAll(CITATION)) {
    const at = m.index ?? 0;
    const line = text.slice(0, at).split('\n').length;
    const heading = QUOTED_HEADING.exec(text.slice(at + m[0].length))?.[1];
    out.push({ where: `${file}:${line}`, doc: m[0], ...(heading !== undefined ? { heading } : {}) });
  }
  return out;
}

/** Where a citation points: `./` and `../` paths from the citing file, any other from the repository root. */
function docPath(c: Citation): string {
  const file = c.where.slice(0, c.where.lastIndexOf(':'));
  return c.doc.startsWith('.') ? resolve(ROOT, dirname(file), c.doc) : join(ROOT, c.doc);
}

/** The headings of a markdown file, without their `#` marks. */
function headings(markdown: string): string[] {
  return markdown
    .split('\n')
    .filter((l) => /^#{1,6} /.test(l))
    .map((l) => l.replace(/^#{1,6} /, '').trim());
}

/** True when `docHeadings` holds `cited`, or a heading that begins with it as whole words. */
function hasHeading(docHeadings: readonly string[], cited: string): boolean {
  return docHeadings.some((h) => h === cited || h.startsWith(`${cited} `));
}

describe('documents cited in src/', () => {
  const citations = sourceFiles(SRC).flatMap((file) => citationsIn(readFileSync(file, 'utf8'), relative(ROOT, file)));

  it('finds the citations it checks', () => {
    assert.ok(citations.length > 20, `only ${citations.length} citations found`);
  });

  it('cites only documents under docs/ that exist', () => {
    const bad = citations.filter((c) => {
      const path = docPath(c);
      return !/^docs\/[a-z][a-z0-9-]*\.md$/.test(relative(ROOT, path).split(sep).join('/')) || !existsSync(path);
    });
    assert.deepEqual(
      bad.map((c) => `${c.where} ${c.doc}`),
      [],
    );
  });

  it('cites quoted sections that exist under that heading', () => {
    const cache = new Map<string, string[]>();
    const missing = citations.filter((c) => {
      const path = docPath(c);
      if (c.heading === undefined || !existsSync(path)) return false;
      if (!cache.has(path)) cache.set(path, headings(readFileSync(path, 'utf8')));
      return !hasHeading(cache.get(path) ?? [], c.heading);
    });
    assert.deepEqual(
      missing.map((c) => `${c.where} ${c.doc} "${c.heading}"`),
      [],
    );
  });

  it('reads a citation and the heading quoted on the next comment line', () => {
    const found = citationsIn(
      '/**\n * x (docs/media.md\n * "Bridging") and calls.md; options.md5 is no file\n */',
      'f.ts',
    );
    assert.deepEqual(found, [
      { where: 'f.ts:2', doc: 'docs/media.md', heading: 'Bridging' },
      { where: 'f.ts:3', doc: 'calls.md' },
    ]);
  });
});
