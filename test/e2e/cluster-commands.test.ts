import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { dropDatabase, ensureDatabase, newAdminKey, withDatabase } from '../../scripts/cluster-launcher.ts';
import { RtpProbe } from '../support/calls-harness.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import { apiCall, expectStatus, startSippProvider, waitForCall, type TestCallbin } from '../support/callbin.ts';
import { TEST_DATABASE_SERVER, startInProcessNode } from '../support/cluster.ts';

// docs/cluster.md "Any node serves the whole API": two nodes in this process on one fresh
// PostgreSQL database and the real NATS server; a call created through node A is read and
// commanded through node B, whose commands reach A over the bus.

const run = randomBytes(4).toString('hex');
const NIL = '00000000-0000-0000-0000-000000000000';

/** One node of this file's cluster, in this process. */
type Node = TestCallbin;

function startNode(name: string, databaseUrl: string, adminKey: string): Promise<Node> {
  return startInProcessNode(`cmd-${name}-${run}`, databaseUrl, adminKey);
}

async function stopNode(node: Node | undefined): Promise<void> {
  await node?.close();
}

/** A platform route for the country code `prefix` to a provider at 127.0.0.1:`port`, created through `node`. */
async function routeTo(node: Node, port: number, prefix: string): Promise<void> {
  const provider = expectStatus(
    await node.api('POST', '/v1.0/providers', {
      hostname: '127.0.0.1',
      port,
      transport: 'udp',
      name: `peer ${port}`,
      codecs: ['PCMU'],
    }),
    200,
  );
  expectStatus(await node.api('POST', '/v1.0/routes', { provider_id: provider.id, target: prefix, priority: 1 }), 200);
}

/** Dials `number` through `node` with a flow that keeps the call up; returns the call. */
async function dial(node: Node, number: string): Promise<any> {
  const [call] = expectStatus(
    await node.api('POST', '/v1.0/calls', {
      source: { type: 'tel', target: '+15550001000' },
      destinations: [{ type: 'tel', target: number }],
      actions: [{ type: 'sleep', option: { duration: 60_000 } }],
    }),
    200,
  ).calls;
  return call;
}

describe('cluster e2e: commands for a call reach the node that owns it', () => {
  const databaseUrl = withDatabase(TEST_DATABASE_SERVER, `callbin_cmds_${run}`);
  const adminKey = newAdminKey();
  let a: Node | undefined;
  let b: Node | undefined;
  let probe: RtpProbe | undefined;
  const peers: SippProcess[] = [];

  before(async () => {
    await ensureDatabase(databaseUrl);
    a = await startNode('a', databaseUrl, adminKey);
    b = await startNode('b', databaseUrl, adminKey);
    probe = await RtpProbe.open();
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.stop()));
    await probe?.close();
    await stopNode(b);
    await stopNode(a);
    await dropDatabase(databaseUrl).catch(() => undefined);
  });

  it('a call created through A is read, held, unheld, recorded and hung up through B', async () => {
    assert.ok(a && b && probe);
    // sipp fails unless the hold re-INVITE offers sendonly, the unhold sendrecv, and a BYE ends the call.
    const peer = await startSippProvider('e2e-uas-hold-unhold.xml', ['-key', 'rtp_port', String(probe.port)]);
    peers.push(peer.sipp);
    await routeTo(a, peer.port, '+1');
    const call = await dial(a, '+15550002100');
    assert.equal(await a.handle.store.calls.ownerOf(call.id), a.handle.nodeId);

    const read = await waitForCall(b, call.id, (c) => c.status === 'progressing');
    assert.equal(read.id, call.id);

    assert.equal(expectStatus(await b.api('POST', `/v1.0/calls/${call.id}/hold`), 200).hold, true);
    assert.equal(expectStatus(await b.api('DELETE', `/v1.0/calls/${call.id}/hold`), 200).hold, false);

    const recording = expectStatus(await b.api('POST', `/v1.0/calls/${call.id}/recording_start`, {}), 200);
    assert.notEqual(recording.recording_id, NIL);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(expectStatus(await b.api('POST', `/v1.0/calls/${call.id}/recording_stop`), 200).recording_id, NIL);
    const listed = expectStatus(await b.api('GET', `/v1.0/recordings?reference_id=${call.id}`), 200);
    assert.deepEqual(
      listed.result.map((r: { id: string }) => r.id),
      [recording.recording_id],
    );

    const ended = expectStatus(await b.api('POST', `/v1.0/calls/${call.id}/hangup`), 200);
    assert.equal(ended.id, call.id);
    await waitForCall(b, call.id, (c) => c.status === 'hangup');
    assert.equal((await peer.sipp.exited).code, 0, 'sipp saw sendonly, then sendrecv, then our BYE');
  });

  it("a call of another customer is 404 through B, and A's call stays up", async () => {
    assert.ok(a && b);
    const peer = await startSippProvider('uas');
    peers.push(peer.sipp);
    await routeTo(a, peer.port, '+44');
    const call = await dial(a, '+442079460100');
    await waitForCall(b, call.id, (c) => c.status === 'progressing');
    const customer = expectStatus(await b.api('POST', '/v1.0/customers', { name: `other ${run}` }), 200);
    const key = expectStatus(await b.api('POST', '/v1.0/accesskeys', { name: 'k', customer_id: customer.id }), 200)
      .token as string;
    const asOther = (method: string, path: string) => apiCall(b!.handle.apiUrl, key, method, path);
    assert.equal(expectStatus(await asOther('GET', `/v1.0/calls/${call.id}`), 404).error.reason, 'CALL_NOT_FOUND');
    assert.equal(
      expectStatus(await asOther('POST', `/v1.0/calls/${call.id}/hangup`), 404).error.reason,
      'CALL_NOT_FOUND',
    );
    assert.equal(expectStatus(await b.api('GET', `/v1.0/calls/${call.id}`), 200).status, 'progressing');
    expectStatus(await b.api('POST', `/v1.0/calls/${call.id}/hangup`), 200);
    assert.equal((await peer.sipp.exited).code, 0, 'sipp got our BYE');
  });

  it("a call chained through B to A's call lives on A and ends with its master", async () => {
    assert.ok(a && b);
    const masterPeer = await startSippProvider('uas');
    const chainedPeer = await startSippProvider('uas');
    peers.push(masterPeer.sipp, chainedPeer.sipp);
    await routeTo(a, masterPeer.port, '+33');
    await routeTo(a, chainedPeer.port, '+34');
    const master = await dial(a, '+33142685300');
    await waitForCall(b, master.id, (c) => c.status === 'progressing');
    const [chained] = expectStatus(
      await b.api('POST', `/v1.0/calls/${master.id}/chained_calls`, {
        destination: { type: 'tel', target: '+34915550100' },
        actions: [{ type: 'sleep', option: { duration: 60_000 } }],
      }),
      200,
    ).calls;
    assert.equal(chained.master_call_id, master.id);
    assert.equal(await b.handle.store.calls.ownerOf(chained.id), a.handle.nodeId);
    await waitForCall(b, chained.id, (c) => c.status === 'progressing');
    expectStatus(await b.api('POST', `/v1.0/calls/${master.id}/hangup`), 200);
    await waitForCall(b, chained.id, (c) => c.status === 'hangup');
    assert.equal((await masterPeer.sipp.exited).code, 0, 'the master peer got our BYE');
    assert.equal((await chainedPeer.sipp.exited).code, 0, 'the chained peer got our BYE');
  });

  it('a customer deleted through B loses its live call on A (docs/security.md "Deleting a customer")', async () => {
    assert.ok(a && b);
    const peer = await startSippProvider('uas');
    peers.push(peer.sipp);
    await routeTo(a, peer.port, '+39');
    const customer = expectStatus(await b.api('POST', '/v1.0/customers', { name: `leaving ${run}` }), 200);
    const key = expectStatus(await b.api('POST', '/v1.0/accesskeys', { name: 'k', customer_id: customer.id }), 200)
      .token as string;
    const [call] = expectStatus(
      await apiCall(a.handle.apiUrl, key, 'POST', '/v1.0/calls', {
        source: { type: 'tel', target: '+15550001000' },
        destinations: [{ type: 'tel', target: '+390612345678' }],
        // Longer than the test: only the deletion can end this call.
        actions: [{ type: 'sleep', option: { duration: 600_000 } }],
      }),
      200,
    ).calls;
    assert.equal(await b.handle.store.calls.ownerOf(call.id), a.handle.nodeId);
    const asCustomer = { api: (method: string, path: string) => apiCall(a!.handle.apiUrl, key, method, path) };
    await waitForCall(asCustomer, call.id, (c) => c.status === 'progressing');
    expectStatus(await b.api('DELETE', `/v1.0/customers/${customer.id}`), 200);
    const exited = await Promise.race([
      peer.sipp.exited,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 15_000)),
    ]);
    assert.equal(exited?.code, 0, "A ended the deleted customer's call: sipp got our BYE");
    const stored = await a.handle.store.calls.get(call.id);
    assert.equal(stored?.status, 'hangup');
  });

  it('a WebSocket client on B gets every event of a call on A once, in seq order (docs/cluster.md "Events from every node")', async () => {
    assert.ok(a && b);
    const peer = await startSippProvider('uas');
    peers.push(peer.sipp);
    await routeTo(a, peer.port, '+31');
    const me = expectStatus(await b.api('GET', '/v1.0/customer'), 200);
    const ws = new WebSocket(
      `${b.handle.apiUrl.replace('http', 'ws')}/v1.0/ws?accesskey=${encodeURIComponent(adminKey)}`,
    );
    const received: { type: string; event_id: string; seq: number; data: { id: string } }[] = [];
    let subscribed = false;
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as { type: string };
      if (msg.type === 'subscribed') subscribed = true;
      else if (msg.type !== 'unsubscribed' && msg.type !== 'error') received.push(msg as (typeof received)[number]);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    try {
      ws.send(JSON.stringify({ type: 'subscribe', topics: [`customer_id:${me.id}:call`] }));
      const deadline = Date.now() + 5_000;
      while (!subscribed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(subscribed, 'subscription acknowledged');
      const call = await dial(a, '+31201234567');
      await waitForCall(b, call.id, (c) => c.status === 'progressing');
      expectStatus(await a.api('POST', `/v1.0/calls/${call.id}/hangup`), 200);
      const ofCall = () => received.filter((e) => e.data.id === call.id);
      const until = Date.now() + 15_000;
      while (!ofCall().some((e) => e.type === 'call_hangup') && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50));
      const events = ofCall();
      assert.ok(
        events.some((e) => e.type === 'call_hangup'),
        `B's stream got A's call_hangup: ${events.map((e) => e.type)}`,
      );
      assert.equal(events[0]?.type, 'call_created');
      assert.equal(new Set(events.map((e) => e.event_id)).size, events.length, 'each event once');
      const seqs = events.map((e) => e.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((x, y) => x - y),
        'in seq order',
      );
      assert.equal((await peer.sipp.exited).code, 0);
    } finally {
      ws.terminate();
    }
  });

  it('when A stops answering, a command through B for a call of A is 503 NODE_UNAVAILABLE naming A', async () => {
    assert.ok(a && b);
    const peer = await startSippProvider('uas');
    peers.push(peer.sipp);
    await routeTo(a, peer.port, '+49');
    const call = await dial(a, '+4930901820');
    await waitForCall(b, call.id, (c) => c.status === 'progressing');
    // A's link to the other nodes goes; it still beats in the store, so nobody reconciles its calls.
    await a.handle.bus?.close();
    const res = await b.api('POST', `/v1.0/calls/${call.id}/hangup`);
    const body = expectStatus(res, 503);
    assert.equal(body.error.reason, 'NODE_UNAVAILABLE');
    assert.equal(body.error.status, 'UNAVAILABLE');
    assert.match(body.error.message, new RegExp(a.handle.nodeId));
    assert.match(body.error.message, new RegExp(call.id));
    // Reads still come from the store.
    assert.equal(expectStatus(await b.api('GET', `/v1.0/calls/${call.id}`), 200).status, 'progressing');
  });
});
