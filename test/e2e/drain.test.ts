import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/shared/index.ts';
import type { Dialog, TerminationInfo } from '../../src/sip/index.ts';
import { openStore } from '../../src/store/index.ts';
import { SilentPeer, apiCall, expectStatus } from '../support/callbin.ts';
import type { ApiResponse } from '../support/callbin.ts';
import { startCallbinProcess } from '../support/process.ts';
import type { RunningProcess } from '../support/process.ts';
import { RawSipPhone } from '../support/raw-sip-phone.ts';
import { startTestUa } from '../support/sip-ua.ts';
import type { TestUa } from '../support/sip-ua.ts';

// docs/security.md "Overload": SIGTERM drains a real `callbin start` (SQLite): new calls are refused
// everywhere at once, live calls go on until they end or the drain deadline, then the process exits 0.

const NUMBER = '+15550008800';
const DRAINING_LOG = /draining: new calls are refused/;

/** A callbin child process on loopback with ephemeral ports, and its API. */
interface Node {
  process: RunningProcess;
  dataDir: string;
  apiUrl: string;
  sipPort: number;
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
}

async function startNode(drainSeconds: number): Promise<Node> {
  const dataDir = await mkdtemp(join(tmpdir(), 'callbin-drain-'));
  const key = `vb_${randomBytes(24).toString('base64url')}`;
  const rtpMin = 20_000 + 2 * Math.floor(Math.random() * 9_900);
  const child = startCallbinProcess({
    CALLBIN_DATA_DIR: dataDir,
    CALLBIN_HTTP_HOST: '127.0.0.1',
    CALLBIN_HTTP_PORT: '0',
    CALLBIN_SIP_HOST: '127.0.0.1',
    CALLBIN_SIP_PORT: '0',
    CALLBIN_RTP_PORT_MIN: String(rtpMin),
    CALLBIN_RTP_PORT_MAX: String(rtpMin + 99),
    CALLBIN_ADMIN_KEY: key,
    CALLBIN_DRAIN_SECONDS: String(drainSeconds),
    CALLBIN_LOG_LEVEL: 'info',
  });
  // Start-up (tsx compiling the tree) is slow on a loaded machine.
  const [, apiUrl = ''] = await child.waitFor(/API:\s+(http:\/\/127\.0\.0\.1:\d+)\/v1\.0/, 120_000);
  const [, sipPort] = await child.waitFor(/SIP:\s+sip:[\d.]+:(\d+)/);
  return {
    process: child,
    dataDir,
    apiUrl,
    sipPort: Number(sipPort),
    api: (method, path, body) => apiCall(apiUrl, key, method, path, body),
  };
}

/** The exit code once the process exits by itself (no signal sent). */
function exitCode(p: RunningProcess): Promise<number | null> {
  const { child } = p;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

const offer = (rtpPort: number): string =>
  `v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${rtpPort} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;

/** A caller's confirmed dialog, and how it ended once it did. */
interface LiveDialog {
  dialog: Dialog;
  ended: Promise<TerminationInfo>;
}

async function call(ua: TestUa, node: Node, rtpPort: number): Promise<LiveDialog> {
  const { dialog } = await ua.ua.invite({
    to: `<sip:${NUMBER}@127.0.0.1:${node.sipPort}>`,
    from: `sip:+15550001111@127.0.0.1:${ua.port}`,
    body: offer(rtpPort),
    contentType: 'application/sdp',
  }).answer;
  return { dialog, ended: new Promise((resolve) => dialog.on('terminated', resolve)) };
}

/** A provider at 127.0.0.1 (the callers' address is trusted) and a number whose flow answers and holds the call. */
async function provision(node: Node, peer: SilentPeer): Promise<void> {
  expectStatus(
    await node.api('POST', '/v1.0/providers', { hostname: '127.0.0.1', port: peer.port, name: 'edge' }),
    200,
  );
  const flow = expectStatus(
    await node.api('POST', '/v1.0/flows', {
      name: 'hold',
      actions: [{ type: 'answer' }, { type: 'sleep', option: { duration: 600_000 } }],
    }),
    200,
  );
  expectStatus(await node.api('POST', '/v1.0/numbers', { number: NUMBER, call_flow_id: flow.id }), 200);
}

async function progressingCalls(node: Node, count: number): Promise<any[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await node.api('GET', '/v1.0/calls?status=progressing');
    const calls = res.status === 200 ? (res.body.result as any[]) : [];
    if (calls.length === count) return calls;
    if (Date.now() > deadline) throw new Error(`expected ${count} progressing calls: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The stored calls and their `call_hangup` events, read from the SQLite file after the process exited. */
async function storedHangups(dataDir: string, ids: readonly string[]): Promise<{ call: any; hangups: any[] }[]> {
  const store = await openStore({ dataDir, clock: systemClock });
  try {
    const out = [];
    for (const id of ids) {
      const events = await store.outbox.listForResource('call', id);
      const hangups = events.filter((e) => e.type === 'call_hangup').map((e) => e.data as any);
      out.push({ call: events.at(-1)?.data as any, hangups });
    }
    return out;
  } finally {
    await store.close();
  }
}

describe('drain e2e: SIGTERM on a real callbin process', () => {
  let peer: SilentPeer;
  let ua: TestUa;
  const running: RunningProcess[] = [];
  const dataDirs: string[] = [];

  before(async () => {
    peer = await SilentPeer.open();
    ua = await startTestUa({ transport: 'udp' });
  });

  after(async () => {
    await Promise.all(running.map((p) => p.stop('SIGKILL')));
    await ua.close();
    await peer.close();
    await Promise.all(dataDirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  async function node(drainSeconds: number): Promise<Node> {
    const n = await startNode(drainSeconds);
    running.push(n.process);
    dataDirs.push(n.dataDir);
    await provision(n, peer);
    return n;
  }

  it('5 live calls: new INVITE 503 + Retry-After, OPTIONS 503, POST /calls 503 NODE_DRAINING, /health 503; the 5 finish normally, then exit 0', async () => {
    const n = await node(60);
    const live = await Promise.all([1, 2, 3, 4, 5].map(() => call(ua, n, peer.port)));
    const ids = (await progressingCalls(n, 5)).map((c) => c.id as string);
    assert.equal((await ua.ua.options(`sip:127.0.0.1:${n.sipPort}`)).status, 200, 'OPTIONS before the drain');

    n.process.child.kill('SIGTERM');
    await n.process.waitFor(DRAINING_LOG);

    const phone = await RawSipPhone.open('127.0.0.1', n.sipPort);
    try {
      const { res } = await phone.send({ method: 'INVITE', user: 'caller' });
      assert.equal(res.status, 503, 'a new INVITE is refused');
      assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
    } finally {
      phone.close();
    }
    assert.equal((await ua.ua.options(`sip:127.0.0.1:${n.sipPort}`)).status, 503, 'OPTIONS outside a dialog');
    const created = await n.api('POST', '/v1.0/calls', {
      source: { type: 'tel', target: '+15550001111' },
      destinations: [{ type: 'tel', target: '+15550002222' }],
      actions: [{ type: 'answer' }],
    });
    assert.equal(created.status, 503);
    assert.equal(created.body.error.reason, 'NODE_DRAINING');
    const health = await fetch(`${n.apiUrl}/health`);
    assert.equal(health.status, 503);
    assert.equal(((await health.json()) as { status: string }).status, 'draining');
    assert.match(await (await fetch(`${n.apiUrl}/metrics`)).text(), /callbin_node_draining 1\n/);

    // In-dialog requests still go through: an OPTIONS and a re-INVITE in a live call.
    const first = live[0]!.dialog;
    assert.equal((await first.options()).status, 200, 'OPTIONS inside a dialog');
    assert.equal(
      (await first.reinvite({ body: offer(peer.port), contentType: 'application/sdp' })).status,
      200,
      're-INVITE',
    );
    assert.equal(n.process.child.exitCode, null, 'still running while calls are live');

    // The callers hang up: each BYE is answered 200, and the node exits once the last call ended.
    for (const { dialog } of live) assert.equal((await dialog.bye())?.status, 200);
    assert.equal(await exitCode(n.process), 0);
    assert.match(n.process.output(), /drained: 5 calls finished, 0 cut/);
    for (const { call: c, hangups } of await storedHangups(n.dataDir, ids)) {
      assert.equal(c.status, 'hangup');
      assert.deepEqual([c.hangup_by, c.hangup_reason], ['remote', 'normal']);
      assert.equal(hangups.length, 1);
    }
  });

  it('drainSeconds=1: a call still live at the deadline is cut with a BYE, hangup local/drain stored with its event, exit 0', async () => {
    const n = await node(1);
    const live = await call(ua, n, peer.port);
    const [listed] = await progressingCalls(n, 1);
    n.process.child.kill('SIGTERM');
    assert.equal((await live.ended).by, 'remote', 'callbin sent the BYE');
    assert.equal(await exitCode(n.process), 0);
    assert.match(n.process.output(), /drained: 0 calls finished, 1 cut/);
    const [stored] = await storedHangups(n.dataDir, [listed.id]);
    assert.equal(stored?.call.status, 'hangup');
    assert.deepEqual([stored?.call.hangup_by, stored?.call.hangup_reason], ['local', 'drain']);
    assert.equal(stored?.hangups.length, 1);
    assert.equal(stored?.hangups[0].hangup_reason, 'drain');
  });

  it('a second SIGTERM during the drain cuts the live calls at once, by the same path as the deadline', async () => {
    const n = await node(600);
    const live = await call(ua, n, peer.port);
    const [listed] = await progressingCalls(n, 1);
    n.process.child.kill('SIGTERM');
    await n.process.waitFor(DRAINING_LOG);
    n.process.child.kill('SIGTERM');
    assert.equal((await live.ended).by, 'remote');
    assert.equal(await exitCode(n.process), 0);
    assert.match(n.process.output(), /drained: 0 calls finished, 1 cut/);
    const [stored] = await storedHangups(n.dataDir, [listed.id]);
    assert.deepEqual([stored?.call.hangup_by, stored?.call.hangup_reason], ['local', 'drain']);
  });
});
