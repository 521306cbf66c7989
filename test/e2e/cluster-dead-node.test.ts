import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startNode } from '../../scripts/cluster-launcher.ts';
import { SIPP_FIXTURES, apiCall, expectStatus } from '../support/callbin.ts';
import { startSipp, type SippProcess } from '../support/calls-harness.ts';
import { startCluster, type TestCluster } from '../support/cluster.ts';
import { freeMediaPort, freePort } from '../support/sipp.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const NUMBER = '+15550017000';
const CALLS = 10;
/** docs/cluster.md "Node health": dead after 10 s without a heartbeat, looked for every 2 s. */
const DEAD_WITHIN_MS = 15_000;

interface OutboxRow {
  event_id: string;
  resource_id: string;
  type: string;
  seq: number;
}

// Two nodes on one PostgreSQL database and NATS: node A is killed (-9) with 10 answered calls; node B
// finds it dead, hangs its calls up, BYEs their callers and delivers every event of those calls.
describe('cluster: a dead node is reconciled by the survivor', () => {
  let cluster: TestCluster;
  let receiver: WebhookReceiver;
  let sipp: SippProcess | undefined;
  before(async () => {
    cluster = await startCluster({ nodes: 2, edge: false });
    receiver = await WebhookReceiver.start();
  });
  after(async () => {
    await sipp?.stop();
    await cluster?.close();
    await receiver?.close();
  });

  it('kill -9 of node A with 10 answered calls: B marks A dead, the calls hang up, every caller gets a BYE, every event is delivered', async () => {
    const [a, b] = cluster.nodes;
    assert.ok(a && b);
    expectStatus(
      await a.api('PUT', '/v1.0/customer', { webhook_uri: receiver.url('/hook'), webhook_method: 'POST' }),
      200,
    );
    // The callers call node A directly, from sipp's address: sipp is the provider.
    const sippPort = await freePort('udp');
    expectStatus(
      await a.api('POST', '/v1.0/providers', { hostname: '127.0.0.1', port: sippPort, transport: 'udp', name: 'sipp' }),
      200,
    );
    const flow = expectStatus(
      await a.api('POST', '/v1.0/flows', {
        name: 'answer and wait',
        actions: [{ type: 'answer' }, { type: 'sleep', option: { duration: 300_000 } }],
      }),
      200,
    );
    expectStatus(await a.api('POST', '/v1.0/numbers', { number: NUMBER, call_flow_id: flow.id }), 200);

    const mediaPort = await freeMediaPort();
    // Each call waits for the far end's BYE and answers it 200; sipp exits 0 once all 10 got theirs.
    sipp = await startSipp([
      '-sf',
      `${SIPP_FIXTURES}calls-uac-incoming.xml`,
      `127.0.0.1:${a.sipPort}`,
      '-i',
      '127.0.0.1',
      '-p',
      String(sippPort),
      '-mp',
      String(mediaPort),
      '-key',
      'rtp_port',
      String(mediaPort),
      '-s',
      NUMBER,
      '-m',
      String(CALLS),
      '-l',
      String(CALLS),
      '-r',
      '10',
    ]);
    const live = await waitFor(
      async () => {
        const rows = await cluster.sql<{ id: string; node_id: string }>(
          `select id, node_id from calls where status = 'progressing' and tm_delete is null`,
        );
        return rows.length === CALLS ? rows : undefined;
      },
      30_000,
      `${CALLS} answered calls on node A`,
    );
    assert.ok(
      live.every((c) => c.node_id === a.nodeId),
      `every call is owned by node A: ${JSON.stringify(live)}`,
    );
    const ids = live.map((c) => c.id);
    // Answered means confirmed: each dialog's state is stored (what a survivor's BYE is built from).
    await waitFor(
      async () => {
        const rows = await cluster.sql('select leg_id from call_dialogs where call_id = any($1)', [ids]);
        return rows.length === CALLS ? rows : undefined;
      },
      10_000,
      `the dialog state of the ${CALLS} calls stored`,
    );

    a.kill('SIGKILL');
    assert.equal(await a.waitExit(), 'SIGKILL', 'node A died of SIGKILL');
    const killedAt = Date.now();

    // Through node B's API: each call is hangup (local, failed: reconciled), within 15 s of the kill.
    await waitFor(
      async () => {
        for (const id of ids) {
          const call = expectStatus(await b.api('GET', `/v1.0/calls/${id}`), 200);
          if (call.status !== 'hangup') return undefined;
          assert.deepEqual([call.hangup_by, call.hangup_reason], ['local', 'failed'], `call ${id}`);
          assert.ok(Date.parse(call.tm_hangup) <= killedAt, `call ${id} ends at A's last heartbeat, before the kill`);
        }
        return true;
      },
      DEAD_WITHIN_MS - (Date.now() - killedAt),
      `the ${CALLS} calls of the dead node in hangup within ${DEAD_WITHIN_MS} ms of the kill`,
    );
    // Its one line about A comes once every step is done (the calls are read as hung up before).
    await b.waitForLine(
      new RegExp(`node ${a.nodeId.replace(/[.-]/g, '\\$&')} is gone: reconciled ${CALLS} calls`),
      10_000,
    );

    const caller = await Promise.race([
      sipp.exited,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 30_000)),
    ]);
    if (!caller) {
      await sipp.stop();
      const out = await sipp.exited.catch(() => undefined);
      const left = await cluster.sql('select call_id, node_id from call_dialogs');
      assert.fail(
        `sipp did not get a BYE for every call:\n${out?.stdout.slice(-1500)}\ndialogs left: ${JSON.stringify(left)}\n${b.lines.slice(-30).join('\n')}`,
      );
    }
    assert.equal(caller.code, 0, `sipp's 10 calls ended successfully:\n${caller.stdout.slice(-2000)}`);
    assert.match(caller.stdout, /Successful call\s*\|\s*\d+\s*\|\s*10\s*$/m, 'sipp counts 10 successful calls');

    // Every event of those calls reaches the webhook receiver (duplicates allowed around the crash), in order.
    const outbox = await cluster.sql<OutboxRow>(
      `select event_id, resource_id, type, seq from outbox_events
        where resource_type = 'call' and resource_id = any($1) order by resource_id, seq`,
      [ids],
    );
    assert.equal(outbox.filter((e) => e.type === 'call_hangup').length, CALLS, 'one call_hangup per call');
    const wanted = new Set(outbox.map((e) => e.event_id));
    const delivered = () => receiver.delivered.filter((r) => wanted.has(r.json?.event_id));
    await receiver.waitFor(
      () => new Set(delivered().map((r) => r.json.event_id)).size === wanted.size,
      60_000,
      `${wanted.size} call events delivered`,
    );
    for (const id of ids) {
      const seqs = delivered()
        .filter((r) => r.json.data?.id === id)
        .map((r) => r.json.seq as number);
      assert.ok(
        seqs.every((s, i) => i === 0 || s >= seqs[i - 1]!),
        `call ${id}: seqs in order: ${seqs.join(',')}`,
      );
      assert.equal(
        delivered()
          .filter((r) => r.json.data?.id === id)
          .at(-1)?.json.type,
        'call_hangup',
      );
    }

    // A comes back with the same id: a new incarnation, with nothing left of its predecessor to reconcile.
    const rtpPortMin = 20_000 + 2 * Math.floor(Math.random() * 9_800);
    const back = await startNode({
      nodeId: a.nodeId,
      databaseUrl: cluster.databaseUrl,
      natsUrl: cluster.natsUrl,
      adminKey: cluster.adminKey,
      rtpPortMin,
      rtpPortMax: rtpPortMin + 199,
    });
    try {
      const call = expectStatus(await apiCall(back.apiUrl, cluster.adminKey, 'GET', `/v1.0/calls/${ids[0]}`), 200);
      assert.equal(call.status, 'hangup');
      const events = await cluster.sql<{ n: string }>(
        `select count(*) as n from outbox_events where resource_type = 'call' and resource_id = any($1)`,
        [ids],
      );
      assert.equal(Number(events[0]?.n), outbox.length, 'the restart added no event to the reconciled calls');
    } finally {
      await back.stop(10_000);
    }
  });
});

/** Polls `probe` every 100 ms until it returns a value; rejects after `timeoutMs`. */
async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
