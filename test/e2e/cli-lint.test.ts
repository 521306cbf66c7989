import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { act, aid } from '../../src/flows/testing/action-ids.ts';

/** The `callbin` command as package.json's `bin` names it. */
const BIN = fileURLToPath(new URL('../../bin/callbin.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `callbin lint …` with no server anywhere: the check is offline. */
function callbinLint(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'lint', ...args], (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

const CLEAN = {
  name: 'ivr',
  actions: [
    act(1, 'answer'),
    act(2, 'talk', { text: 'Press 1 for sales', language: 'en-US' }),
    act(3, 'digits_receive', { length: 1 }),
    act(4, 'branch', { target_ids: { '1': aid(5) }, default_target_id: aid(6) }),
    act(5, 'connect', { destinations: [{ type: 'extension', target: '100' }] }, 7),
    act(6, 'goto', { target_id: aid(2), loop_count: 2 }),
    act(7, 'hangup'),
  ],
};

/** A bare array with one warning on an action given no id, and one on an action with an id. */
const WARNED = [
  { type: 'answer' },
  { type: 'talk', option: { text: 'Hello ${customer_name}' } },
  act(3, 'branch', { target_ids: { '1': aid(4) } }),
  act(4, 'hangup'),
];

const BROKEN = {
  actions: [{ type: 'answer' }, act(2, 'goto', { target_id: aid(9), loop_count: 1 }), { type: 'hangup' }],
};

describe('callbin lint', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callbin-lint-'));
    await writeFile(file('clean.json'), JSON.stringify(CLEAN));
    await writeFile(file('warned.json'), JSON.stringify(WARNED));
    await writeFile(file('broken.json'), JSON.stringify(BROKEN));
    await writeFile(file('not-json.json'), '{"actions": [');
    // A call whose inline list holds 1,001 actions: over the size limits, refused before any linting.
    const huge = [{ type: 'call', option: { actions: Array.from({ length: 1001 }, () => ({ type: 'answer' })) } }];
    await writeFile(file('huge.json'), JSON.stringify(huge));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('exits 0 on a clean flow and on warnings, 1 on warnings with --strict, 1 on errors', async () => {
    const [clean, warned, strict, broken, extension, notJson] = await Promise.all([
      callbinLint([file('clean.json'), '--strict']),
      callbinLint([file('warned.json')]),
      callbinLint(['--strict', file('warned.json')]),
      callbinLint([file('broken.json')]),
      callbinLint([file('clean.json'), '--extensions', '200,300']),
      callbinLint([file('not-json.json')]),
    ]);
    assert.equal(clean.code, 0, clean.stderr);
    assert.deepEqual(clean.stdout.trim().split('\n'), [`${file('clean.json')}: 0 error(s), 0 warning(s)`]);

    assert.equal(warned.code, 0, warned.stderr);
    const warnedLines = [
      'warning  actions[1]  VARIABLE_NEVER_SET  reads the variable "customer_name", which no action sets (no variable_set with that key): it reads as "" unless the call or activeflow request gives it',
      `warning  ${aid(3)}  BRANCH_WITHOUT_DEFAULT  no default_target_id: a value none of target_ids names (or no input at all) falls through to the next action`,
      `${file('warned.json')}: 0 error(s), 2 warning(s)`,
    ];
    assert.deepEqual(warned.stdout.trim().split('\n'), warnedLines);
    assert.equal(strict.code, 1);
    assert.deepEqual(strict.stdout.trim().split('\n'), warnedLines);

    assert.equal(broken.code, 1);
    assert.deepEqual(broken.stdout.trim().split('\n'), [
      `error    ${aid(2)}  INVALID_ACTION_TARGET  actions[1].option.target_id: "${aid(9)}" is not the id of an action in this flow`,
      `${file('broken.json')}: 1 error(s), 0 warning(s)`,
    ]);

    assert.equal(extension.code, 0);
    assert.match(extension.stdout, new RegExp(`warning  ${aid(5)}  UNKNOWN_EXTENSION  dials the extension "100"`));

    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /not-json\.json is not JSON/);

    const huge = await callbinLint([file('huge.json')]);
    assert.equal(huge.code, 1);
    assert.deepEqual(
      huge.stdout.trim().split('\n').at(-1),
      `${file('huge.json')}: 1 error(s), not linted (over the size limits of a flow)`,
    );
    assert.match(huge.stdout, /^error {4}actions\[0\]\.option\.actions {2}TOO_MANY_ITEMS /m);
  });
});
