import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const MENU = '00000000-0000-4000-8000-000000000001';
const DIGITS = '00000000-0000-4000-8000-000000000002';

/** Runs `callbin simulate` as a user would; resolves with its exit code and output. */
function callbin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'simulate', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('cli: callbin simulate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callbin-simulate-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const flow = join(dir, 'flow.json');
  writeFileSync(
    flow,
    JSON.stringify({
      actions: [
        { id: MENU, type: 'talk', option: { text: 'Press a key' } },
        { id: DIGITS, type: 'digits_receive', option: { duration: 3000, length: 1 } },
      ],
    }),
  );
  const script = (expect: Record<string, unknown>): string => {
    const path = join(dir, `script-${Object.keys(expect).join('-')}.json`);
    writeFileSync(path, JSON.stringify({ direction: 'incoming', dtmf: [{ at_ms: 2000, digits: '4' }], expect }));
    return path;
  };

  it('prints the JSON output and exits 0 when every expectation is met', async () => {
    const run = await callbin([flow, '--script', script({ variable: { 'voipbin.call.digits': '4' } })]);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.deepEqual(
      out.steps.filter((s: { event: string }) => s.event === 'end').map((s: { result: string }) => s.result),
      ['played', 'received'],
    );
    assert.equal(out.expectations[0].met, true);
  });

  it('exits 1 and names the unmet expectation; --pretty prints a timeline', async () => {
    const run = await callbin([
      flow,
      '--pretty',
      '--script',
      script({ hangup_reason: 'busy', branch_taken: [DIGITS] }),
    ]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /expectation unmet: hangup_reason busy: the call hung up with normal/);
    assert.doesNotMatch(run.stderr, /branch_taken/);
    assert.match(run.stdout, /▶ digits_receive/);
    assert.match(run.stdout, /UNMET {2}hangup_reason busy/);
  });

  it('a script that is not valid exits 1 naming the field', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ dtmf: [{ at_ms: 0, digits: 'xyz' }] }));
    const run = await callbin([flow, '--script', bad]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /script\.dtmf\[0\]\.digits/);
  });
});
