import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { expectStatus, startCluster, type TestCluster } from '../support/cluster.ts';
import { freeMediaPort, freePort, runSipp } from '../support/sipp.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const SIPP_FIXTURES = fileURLToPath(new URL('../fixtures/sipp/', import.meta.url));
const NUMBER = '+15550016000';
const LONG_NUMBER = '+15550016001';
const CALLS = 20;

interface OutboxRow {
  event_id: string;
  resource_id: string;
  seq: number;
}

// Two nodes on one PostgreSQL database and NATS, Kamailio in front (deploy/kamailio/README.md):
// new INVITEs are spread over the nodes, every event reaches the customer's webhook once, in order,
// and a draining node (docs/cluster.md "Drain") is skipped by the edge.
describe('cluster behind the Kamailio edge', () => {
  let cluster: TestCluster;
  let receiver: WebhookReceiver;
  before(async () => {
    // Long enough a drain for the draining test's calls to end by themselves.
    cluster = await startCluster({ nodes: 2, edge: true, env: { CALLBIN_DRAIN_SECONDS: '30' } });
    receiver = await WebhookReceiver.start();
  });
  after(async () => {
    await cluster?.close();
    await receiver?.close();
  });

  it('sipp calls through Kamailio land on both nodes, run their flows, and every event is delivered once in seq order', async () => {
    const [a, b] = cluster.nodes;
    assert.ok(a && b && cluster.edge);
    expectStatus(
      await a.api('PUT', '/v1.0/customer', { webhook_uri: receiver.url('/hook'), webhook_method: 'POST' }),
      200,
    );
    // Every INVITE reaches a node from the edge's address, so the edge is the provider (deploy/kamailio/README.md).
    expectStatus(
      await a.api('POST', '/v1.0/providers', {
        hostname: cluster.edge.host,
        port: cluster.edge.port,
        transport: 'udp',
        name: 'sip edge',
        codecs: ['PCMU'],
      }),
      200,
    );
    const flow = expectStatus(
      await b.api('POST', '/v1.0/flows', {
        name: 'answer, wait, hang up',
        actions: [{ type: 'answer' }, { type: 'sleep', option: { duration: 1000 } }, { type: 'hangup' }],
      }),
      200,
    );
    expectStatus(await b.api('POST', '/v1.0/numbers', { number: NUMBER, call_flow_id: flow.id }), 200);

    const sipp = await callThroughEdge(cluster, NUMBER, CALLS);
    assert.equal(sipp.code, 0, `every call completes:\n${sipp.stdout.slice(-3000)}\n${sipp.stderr.slice(-2000)}`);

    const calls = await waitFor(
      async () => {
        const rows = await cluster.sql<{ id: string; node_id: string; status: string }>(
          'select id, node_id, status from calls where tm_delete is null',
        );
        return rows.length === CALLS && rows.every((r) => r.status === 'hangup') ? rows : undefined;
      },
      30_000,
      `${CALLS} calls in hangup`,
    );
    const perNode = new Map<string, number>();
    for (const c of calls) perNode.set(c.node_id, (perNode.get(c.node_id) ?? 0) + 1);
    for (const node of [a, b])
      assert.ok((perNode.get(node.nodeId) ?? 0) > 0, `${node.nodeId} got calls: ${JSON.stringify([...perNode])}`);

    const outbox = await cluster.sql<OutboxRow>(
      `select event_id, resource_id, seq from outbox_events
        where resource_type = 'call' and resource_id = any($1) order by resource_id, seq`,
      [calls.map((c) => c.id)],
    );
    assert.ok(outbox.length >= CALLS * 3, `a few events per call, got ${outbox.length}`);
    const wanted = new Set(outbox.map((e) => e.event_id));
    const delivered = () => receiver.delivered.filter((r) => wanted.has(r.json?.event_id));
    await receiver.waitFor(
      () => new Set(delivered().map((r) => r.json.event_id)).size === wanted.size,
      30_000,
      `${wanted.size} call events delivered`,
    );
    // Give a late duplicate the time to show up before counting.
    await new Promise((r) => setTimeout(r, 1_000));

    const times = new Map<string, number>();
    for (const r of receiver.received) times.set(r.json?.event_id, (times.get(r.json?.event_id) ?? 0) + 1);
    const twice = [...times].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], 'no event delivered twice');
    for (const call of calls) {
      const expected = outbox.filter((e) => e.resource_id === call.id).map((e) => e.seq);
      const got = delivered()
        .filter((r) => r.json.data?.id === call.id)
        .map((r) => r.json.seq as number);
      assert.deepEqual(got, expected, `events of call ${call.id} (on ${call.node_id}) arrive once, in seq order`);
    }
    const lastOutbox = await cluster.sql<{ n: string }>(
      `select count(*) as n from outbox_events where resource_type = 'call' and resource_id = any($1)`,
      [calls.map((c) => c.id)],
    );
    assert.equal(Number(lastOutbox[0]?.n), outbox.length, 'no call event was added after the calls ended');
  });

  it('a draining node with 5 live calls gets no new calls from the edge, its calls end normally, then it exits 0', async () => {
    const [a, b] = cluster.nodes;
    assert.ok(a && b && cluster.edge);
    const flow = expectStatus(
      await a.api('POST', '/v1.0/flows', {
        name: 'a longer call',
        actions: [{ type: 'answer' }, { type: 'sleep', option: { duration: 4000 } }, { type: 'hangup' }],
      }),
      200,
    );
    expectStatus(await a.api('POST', '/v1.0/numbers', { number: LONG_NUMBER, call_flow_id: flow.id }), 200);
    const liveOnB = () =>
      cluster.sql<{ id: string }>(`select id from calls where node_id = $1 and status <> 'hangup'`, [b.nodeId]);
    // Round robin over two nodes: 12 calls give B about 6.
    const longCalls = callThroughEdge(cluster, LONG_NUMBER, 12);
    const onB = await waitFor(
      async () => {
        const live = await liveOnB();
        return live.length >= 5 ? live : undefined;
      },
      15_000,
      '5 live calls on B',
    );

    b.kill('SIGTERM');
    // B drains once /health answers 503 (docs/cluster.md "Drain").
    await waitFor(
      async () => ((await fetch(`${b.apiUrl}/health`).catch(() => undefined))?.status === 503 ? true : undefined),
      10_000,
      'node B draining',
    );
    const since = (await cluster.sql<{ now: string }>(`select max(tm_create) as now from calls`))[0]?.now ?? '';
    const short = await callThroughEdge(cluster, NUMBER, 6);
    assert.equal(short.code, 0, `calls during the drain complete:\n${short.stdout.slice(-3000)}`);
    const landed = await cluster.sql<{ node_id: string; n: string }>(
      `select node_id, count(*) as n from calls
        where tm_create > $1 and data::json->'destination'->>'target' = $2 group by 1`,
      [since, NUMBER],
    );
    assert.deepEqual(
      landed.map((r) => [r.node_id, Number(r.n)]),
      [[a.nodeId, 6]],
      'every call made during the drain landed on A',
    );

    assert.equal((await longCalls).code, 0, 'the long calls, those on B included, ended normally');
    assert.equal(await b.waitExit(), 0, 'B exits 0 once its calls are over');
    const ended = await cluster.sql<{ status: string; by: string; reason: string }>(
      `select status, data::json->>'hangup_by' as by, data::json->>'hangup_reason' as reason
         from calls where id = any($1)`,
      [onB.map((c) => c.id)],
    );
    for (const c of ended)
      assert.deepEqual([c.status, c.by, c.reason], ['hangup', 'local', 'normal'], 'hung up by its flow, not the drain');
  });
});

/** `calls` sipp calls at 10/s through the edge to `number`; resolves when sipp ends. */
async function callThroughEdge(cluster: TestCluster, number: string, calls: number) {
  const edge = cluster.edge!;
  return runSipp(
    [
      '-sf',
      `${SIPP_FIXTURES}cluster-edge-caller.xml`,
      `${edge.host}:${edge.port}`,
      '-i',
      '127.0.0.1',
      '-p',
      String(await freePort('udp')),
      '-mp',
      String(await freeMediaPort()),
      '-s',
      number,
      '-m',
      String(calls),
      '-r',
      '10',
      '-l',
      String(calls),
      '-recv_timeout',
      '20000',
      '-nostdin',
    ],
    { timeoutMs: 90_000 },
  );
}

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
