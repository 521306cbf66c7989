// README.md "Quick start: your first call, to a test number", run as written: its curl commands are read from the
// README, sent to a callbin started like `npm start`, and their answers matched against the output
// the README shows, so the two cannot drift apart.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCallbinProcess, type RunningProcess } from '../support/process.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const SECTION = '## Quick start: your first call, to a test number';

/** One curl command of the README and the output it is shown to print. */
interface Step {
  method: string;
  path: string;
  body?: string;
  /** The `# …` line right after the command: its answer, `…` standing for anything. */
  prints: string;
}

/** Splits a shell command into words: single and double quotes, backslash-newline continuations. */
function words(command: string): string[] {
  const out: string[] = [];
  // A `<placeholder>` the reader fills in is one word even with a space inside.
  const re = /'([^']*)'|"([^"]*)"|((?:<[a-z ]+>|[^\s'"])+)/g;
  for (const m of command.replace(/\\\n/g, ' ').matchAll(re)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/** The curl commands of the README section, each with the output line shown after it. */
function readmeSteps(): Step[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf(SECTION));
  assert.ok(readme.includes(SECTION), `README.md has "${SECTION}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const steps: Step[] = [];
  let command: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('curl ') || (command.length > 0 && line !== '' && !line.startsWith('#'))) {
      command.push(line);
      continue;
    }
    if (command.length > 0 && line.startsWith('# ')) {
      const w = words(command.join('\n'));
      const data = w.indexOf('-d');
      const explicit = w.indexOf('-X');
      const url = w.find((x) => x.startsWith('$CB/')) ?? '';
      steps.push({
        method: explicit >= 0 ? (w[explicit + 1] ?? '') : data >= 0 ? 'POST' : 'GET',
        path: url.slice('$CB'.length),
        ...(data >= 0 ? { body: w[data + 1] ?? '' } : {}),
        prints: line.slice(2),
      });
      command = [];
    }
  }
  return steps;
}

/** The shown output as a pattern: `…` is anything, `<name>` a value bound by name. */
function pattern(prints: string): RegExp {
  const names: string[] = [];
  const source = prints
    .split(/(…|<[a-z ]+>)/)
    .map((part) => {
      if (part === '…') return '.*';
      if (/^<[a-z ]+>$/.test(part)) {
        names.push(part);
        return `(?<v${names.length}>[^"]+)`;
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`, 's');
}

/** Replaces every `<name>` in `text` with its bound value. */
function fill(text: string, bound: Map<string, string>): string {
  return text.replace(/<[a-z ]+>/g, (name) => bound.get(name) ?? name);
}

describe('README quick start: the first call to a test number, as written', () => {
  let callbin: RunningProcess;
  let hooks: WebhookReceiver;
  let dataDir: string;
  let cb = '';
  let key = '';
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'callbin-quick-start-'));
    const rtpMin = 20_000 + 2 * Math.floor(Math.random() * 9_000);
    callbin = startCallbinProcess({
      CALLBIN_DATA_DIR: dataDir,
      CALLBIN_HTTP_HOST: '127.0.0.1',
      CALLBIN_HTTP_PORT: '0',
      CALLBIN_SIP_HOST: '127.0.0.1',
      CALLBIN_SIP_PORT: '0',
      CALLBIN_RTP_PORT_MIN: String(rtpMin),
      CALLBIN_RTP_PORT_MAX: String(rtpMin + 199),
    });
    [, cb = ''] = await callbin.waitFor(/API:\s+(http:\/\/127\.0\.0\.1:\d+\/v1\.0)/);
    [, key = ''] = await callbin.waitFor(/\n\s+(vb_[A-Za-z0-9_-]+)\n/);
    hooks = await WebhookReceiver.start();
  });
  after(async () => {
    await callbin?.stop();
    await hooks?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('each command prints what the README shows; the call ends hung up by the carrier with the events it names', async () => {
    const steps = readmeSteps();
    assert.deepEqual(
      steps.map((s) => `${s.method} ${s.path.replace(/<[a-z ]+>/g, '{id}')}`),
      ['POST /flows', 'POST /calls', 'GET /calls/{id}'],
    );
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const hook = await fetch(`${cb}/customer`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ webhook_uri: hooks.url() }),
    });
    assert.equal(hook.status, 200, await hook.text());
    const bound = new Map<string, string>();
    for (const step of steps) {
      const expected = pattern(step.prints);
      // A GET is what a person repeats until the call is over; a POST is sent once.
      const deadline = Date.now() + (step.method === 'GET' ? 30_000 : 0);
      let printed = '';
      for (;;) {
        const res = await fetch(`${cb}${fill(step.path, bound)}`, {
          method: step.method,
          headers,
          ...(step.body !== undefined ? { body: fill(step.body, bound) } : {}),
        });
        printed = await res.text();
        if (expected.test(printed) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const match = expected.exec(printed);
      assert.ok(match, `${step.method} ${step.path} printed ${printed}\nthe README shows ${step.prints}`);
      const names = step.prints.match(/<[a-z ]+>/g) ?? [];
      names.forEach((name, i) => {
        const value = match.groups?.[`v${i + 1}`] ?? '';
        if (bound.has(name)) assert.equal(value, bound.get(name), `${name} is the same value throughout`);
        bound.set(name, value);
      });
    }
    const callId = bound.get('<call id>');
    await hooks.waitFor(
      (r) => r.delivered.some((d) => d.json?.type === 'call_hangup' && d.json?.data?.id === callId),
      15_000,
      'the call_hangup webhook',
    );
    const types = hooks.delivered.filter((d) => d.json?.data?.id === callId).map((d) => d.json?.type);
    // README: the status events in order, each right after a `call_updated` (one for every change).
    assert.deepEqual(
      types.filter((t) => t !== 'call_updated'),
      ['call_created', 'call_ringing', 'call_progressing', 'call_hangup'],
    );
    types.forEach((t, i) => {
      if (t !== 'call_created' && t !== 'call_updated') assert.equal(types[i - 1], 'call_updated', types.join(', '));
    });
  });
});
