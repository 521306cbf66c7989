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
    'sip/index.ts':
      "import { s } from '../store/index.ts';\nimport { a } from '../api/index.ts';\nexport const y = s + a;\n",
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

test('dependency check: endpoint/ imports only media/, sdp/, shared/ and is imported only by telephony/ and the composition root', () => {
  const root = tree({
    'shared/index.ts': 'export const x = 1;\n',
    'media/index.ts': 'export const m = 1;\n',
    'sdp/index.ts': 'export const d = 1;\n',
    'sip/index.ts': 'export const s = 1;\n',
    'endpoint/index.ts':
      "import { x } from '../shared/index.ts';\nimport { m } from '../media/index.ts';\nimport { d } from '../sdp/index.ts';\nimport { s } from '../sip/index.ts';\nexport const e = x + m + d + s;\n",
    'telephony/index.ts': "import { e } from '../endpoint/index.ts';\nexport const t = e;\n",
    'main.ts': "import { e } from './endpoint/index.ts';\nexport const r = e;\n",
    'calls/index.ts': "import { e } from '../endpoint/index.ts';\nexport const c = e;\n",
    'api/index.ts': "import { e } from '../endpoint/index.ts';\nexport const a = e;\n",
  });
  try {
    const r = check(root);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /endpoint\/index\.ts: imports '\.\.\/sip\/index\.ts' — endpoint\/ is a protocol tier/);
    assert.match(
      r.stderr,
      /calls\/index\.ts: imports '\.\.\/endpoint\/index\.ts' — endpoint\/ is imported only by telephony\//,
    );
    assert.match(r.stderr, /api\/index\.ts: imports '\.\.\/endpoint\/index\.ts'/);
    assert.doesNotMatch(r.stderr, /telephony\/index\.ts|main\.ts|'\.\.\/(media|sdp|shared)\/index\.ts'/);
    assert.match(r.stderr, /3 forbidden import/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('dependency check: only tests and testing/ files import a testing/ folder', () => {
  const root = tree({
    'shared/index.ts': 'export const x = 1;\n',
    'calls/testing/fake-ports.ts': "import { x } from '../../shared/index.ts';\nexport const f = x;\n",
    'calls/testing/more.ts': "import { f } from './fake-ports.ts';\nexport const g = f;\n",
    'calls/call.test.ts': "import { g } from './testing/more.ts';\nexport const t = g;\n",
    'calls/call.ts': "import { f } from './testing/fake-ports.ts';\nexport const c = f;\n",
  });
  try {
    const r = check(root);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /calls\/call\.ts: imports '\.\/testing\/fake-ports\.ts' — only tests and other testing\/ files/,
    );
    assert.match(r.stderr, /1 forbidden import/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('dependency check: the outer ring runs api → events → store', () => {
  const root = tree({
    'store/index.ts': "import { e } from '../events/index.ts';\nexport const s = e;\n",
    'events/index.ts':
      "import { s } from '../store/index.ts';\nimport { a } from '../api/index.ts';\nexport const e = s + a;\n",
    'api/index.ts':
      "import { e } from '../events/index.ts';\nimport { s } from '../store/index.ts';\nexport const a = e + s;\n",
  });
  try {
    const r = check(root);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /store\/index\.ts: imports '\.\.\/events\/index\.ts' — store\/ never imports events\//);
    assert.match(r.stderr, /events\/index\.ts: imports '\.\.\/api\/index\.ts' — events\/ never imports api\//);
    assert.match(r.stderr, /2 forbidden import/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('dependency check: bus/ imports only shared/; cluster/ is imported only by the composition root and never imports api/ or telephony/', () => {
  const root = tree({
    'shared/index.ts': 'export const x = 1;\n',
    'store/index.ts': 'export const s = 1;\n',
    'api/index.ts': "import { r } from '../cluster/index.ts';\nexport const a = r;\n",
    'telephony/index.ts': 'export const t = 1;\n',
    'events/index.ts': 'export const e = 1;\n',
    'bus/index.ts':
      "import { x } from '../shared/index.ts';\nimport { s } from '../store/index.ts';\nexport const b = x + s;\n",
    'cluster/index.ts':
      "import { b } from '../bus/index.ts';\nimport { e } from '../events/index.ts';\nimport { s } from '../store/index.ts';\nimport { t } from '../telephony/index.ts';\nexport const r = b + e + s + t;\n",
    'main.ts': "import { r } from './cluster/index.ts';\nexport const m = r;\n",
  });
  try {
    const r = check(root);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /bus\/index\.ts: imports '\.\.\/store\/index\.ts' — bus\/ is a protocol layer/);
    assert.match(r.stderr, /api\/index\.ts: imports '\.\.\/cluster\/index\.ts' — cluster\//);
    assert.match(r.stderr, /cluster\/index\.ts: imports '\.\.\/telephony\/index\.ts'/);
    assert.doesNotMatch(r.stderr, /main\.ts: imports/);
    assert.doesNotMatch(r.stderr, /cluster\/index\.ts: imports '\.\.\/(bus|events|store)\//);
    assert.equal(r.stderr.trim().split('\n').length, 4, r.stderr);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
