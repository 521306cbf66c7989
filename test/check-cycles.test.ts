import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'callbin-cycles-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(root: string) {
  return spawnSync(process.execPath, ['scripts/check-cycles.mjs', root], { encoding: 'utf8' });
}

/** Runs the check over a fixture tree and returns its result; the tree is removed afterwards. */
function checkTree(files: Record<string, string>) {
  const root = tree(files);
  try {
    return check(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Asserts that the check fails on `files` and prints a line matching `cycle`. */
function assertCycle(files: Record<string, string>, cycle: RegExp) {
  const r = checkTree(files);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, cycle);
  return r;
}

test('cycle check: a 2-file cycle fails the run and is printed', () => {
  const r = assertCycle(
    {
      'calls/call.ts':
        "import type { CallStatus } from './call-status.ts';\nexport interface Call { status: CallStatus }\n",
      'calls/call-status.ts':
        "import type { Call } from './call.ts';\nexport type CallStatus = 'dialing';\nexport type Seen = Call;\n",
      'calls/index.ts': "export type { Call } from './call.ts';\n",
    },
    /2 files: calls\/call-status\.ts → calls\/call\.ts → calls\/call-status\.ts/,
  );
  assert.match(r.stderr, /1 import cycle/);
  assert.doesNotMatch(r.stderr, /index\.ts/);
});

test('cycle check: re-exports and multi-line imports are edges; every file of a longer cycle is named', () => {
  assertCycle(
    {
      'a.ts': "export { b } from './b.ts';\nexport const a = 1;\n",
      'b.ts': "import {\n  c,\n} from './sub/c.ts';\nexport const b = c;\n",
      'sub/c.ts': "import { a } from '../a.ts';\nexport const c = a;\n",
    },
    /3 files: a\.ts → b\.ts → sub\/c\.ts → a\.ts/,
  );
});

test('cycle check: a DAG passes, self-imports and package imports included', () => {
  const r = checkTree({
    'shared/index.ts': "import { join } from 'node:path';\nexport const x = join('a');\n",
    'calls/call-status-types.ts': "export type CallStatus = 'dialing';\n",
    'calls/call.ts':
      "import type { CallStatus } from './call-status-types.ts';\nexport interface Call { status: CallStatus }\n",
    'calls/call-status.ts':
      "import type { Call } from './call.ts';\nimport type { CallStatus } from './call-status-types.ts';\nexport type Move = [Call, CallStatus];\n",
    'calls/index.ts':
      "export type { Call } from './call.ts';\nexport type { Move } from './call-status.ts';\nimport { x } from '../shared/index.ts';\nexport const y = x;\n",
    'calls/self.ts': "export type { Self } from './self.ts';\nexport type Self = 1;\n",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /cycle check: ok/);
});
