import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'callbin-deps-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(root: string) {
  return spawnSync(process.execPath, ['scripts/check-deps.mjs', root], { encoding: 'utf8' });
}

test('dependency check: forbidden imports fail the run, each one named, even on consecutive lines', () => {
  const root = tree({
    'shared/index.ts': 'export const x = 1;\n',
    'store/index.ts': 'export const s = 1;\n',
    'api/index.ts': 'export const a = 1;\n',
    'sip/index.ts': "import { s } from '../store/index.ts';\nimport { a } from '../api/index.ts';\nexport const y = s + a;\n",
    'calls/index.ts': "import {\n  s,\n} from '../store/index.ts';\nexport const c = s;\n",
    'media/index.ts': "import { y } from '../sip/message/parse.ts';\nexport const m = y;\n",
  });
  try {
    const r = check(root);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /sip\/index\.ts: imports '\.\.\/store\/index\.ts'/);
    assert.match(r.stderr, /sip\/index\.ts: imports '\.\.\/api\/index\.ts'/);
    assert.match(r.stderr, /calls\/index\.ts: imports '\.\.\/store\/index\.ts' — domain module/);
    assert.match(r.stderr, /only through their index\.ts/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('dependency check: the allowed directions pass', () => {
  const root = tree({
    'shared/index.ts': 'export const x = 1;\n',
    'sip/index.ts': "import { x } from '../shared/index.ts';\nexport const y = x;\n",
    'calls/index.ts': "import { x } from '../shared/index.ts';\nexport const c = x;\n",
    'flows/index.ts': "import { c } from '../calls/index.ts';\nexport const f = c;\n",
    'api/index.ts': "import { f } from '../flows/index.ts';\nexport const a = f;\n",
  });
  try {
    const r = check(root);
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
