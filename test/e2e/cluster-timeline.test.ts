import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { dropDatabase, ensureDatabase, newAdminKey, withDatabase } from '../../scripts/cluster-launcher.ts';
import { nodeTimelineSubject } from '../../src/cluster/remote-timeline.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  apiCall,
  expectStatus,
  startSippProvider,
  startTestCallbin,
  waitForCall,
  type TestCallbin,
} from '../support/callbin.ts';
import { TEST_DATABASE_SERVER, TEST_NATS_URL, startInProcessNode } from '../support/cluster.ts';

// docs/cluster.md "Any node serves the whole API" and docs/timeline.md "Reading a timeline": two
// nodes in this process on one fresh PostgreSQL database and the real NATS server. Node A writes its
// timeline entries only once an hour, so what a read through B finds of A's call, A wrote because
// B asked it to.

const run = randomBytes(4).toString('hex');

describe('cluster e2e: a timeline read through B sees what A recorded and has not written yet', () => {
  const databaseUrl = withDatabase(TEST_DATABASE_SERVER, `callbin_tl_${run}`);
  const adminKey = newAdminKey();
  let a: TestCallbin | undefined;
  let b: TestCallbin | undefined;
  const peers: SippProcess[] = [];

  before(async () => {
    await ensureDatabase(databaseUrl);
    a = await startTestCallbin(
      { databaseUrl, natsUrl: TEST_NATS_URL, nodeId: `tl-a-${run}`, adminKey, overloadUtilisation: 0 },
      { timelineLimits: { flushMs: 3_600_000 } },
    );
    b = await startInProcessNode(`tl-b-${run}`, databaseUrl, adminKey);
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.stop()));
    await b?.close();
    await a?.close();
    await dropDatabase(databaseUrl).catch(() => undefined);
  });

  it("a call answered on A: B's read has A's INVITE and status entries; another customer's read is 404 and asks A nothing", async () => {
    assert.ok(a && b);
    const bBus = b.handle.bus;
    assert.ok(bBus);
    // Every flush request A gets, as NATS delivers it to any subscriber of the subject too.
    const asked: string[] = [];
    const unsubscribe = bBus.subscribe(nodeTimelineSubject(a.handle.nodeId), (data) => asked.push(data));
    await bBus.flush();

    const peer = await startSippProvider('uas');
    peers.push(peer.sipp);
    const provider = expectStatus(
      await a.api('POST', '/v1.0/providers', {
        hostname: '127.0.0.1',
        port: peer.port,
        transport: 'udp',
        name: `peer ${peer.port}`,
        codecs: ['PCMU'],
      }),
      200,
    );
    expectStatus(await a.api('POST', '/v1.0/routes', { provider_id: provider.id, target: '+1', priority: 1 }), 200);
    const [call] = expectStatus(
      await a.api('POST', '/v1.0/calls', {
        source: { type: 'tel', target: '+15550001000' },
        destinations: [{ type: 'tel', target: '+15550002100' }],
        actions: [{ type: 'sleep', option: { duration: 60_000 } }],
      }),
      200,
    ).calls;
    assert.equal(await b.handle.store.calls.ownerOf(call.id), a.handle.nodeId);
    await waitForCall(b, call.id, (c) => c.status === 'progressing');

    // Tenancy is checked on B before A is asked anything.
    const customer = expectStatus(await b.api('POST', '/v1.0/customers', { name: `other ${run}` }), 200);
    const key = expectStatus(await b.api('POST', '/v1.0/accesskeys', { name: 'k', customer_id: customer.id }), 200)
      .token as string;
    const foreign = await apiCall(b.handle.apiUrl, key, 'GET', `/v1.0/calls/${call.id}/timeline`);
    assert.equal(expectStatus(foreign, 404).error.reason, 'CALL_NOT_FOUND');

    // The status entry is recorded once A's commit of `progressing` is announced: a read may come
    // just before it, so B reads until it is there. A writes nothing by itself for an hour.
    let entries: any[] = [];
    const reads = { count: 0 };
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      reads.count++;
      entries = expectStatus(await b.api('GET', `/v1.0/calls/${call.id}/timeline`), 200).result;
      if (entries.some((e) => e.kind === 'status' && e.data.to === 'progressing')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const invite = entries.find((e) => e.kind === 'sip' && e.data.method === 'INVITE' && e.data.direction === 'out');
    assert.ok(invite, `A's INVITE is in B's read: ${JSON.stringify(entries.map((e) => e.summary))}`);
    assert.equal(invite.call_id, call.id);
    assert.ok(
      entries.some((e) => e.kind === 'sip' && e.data.status === 200),
      "the peer's 200 OK is in B's read",
    );
    assert.ok(
      entries.some((e) => e.kind === 'status' && e.data.to === 'progressing'),
      `A's status entry is in B's read: ${JSON.stringify(entries.map((e) => e.summary))}`,
    );

    await bBus.flush();
    unsubscribe();
    assert.equal(asked.length, reads.count, "one flush request per read of A's call, none for the 404");
    assert.ok(
      asked.every((data) => data === ''),
      'the request carries no customer data',
    );

    expectStatus(await b.api('POST', `/v1.0/calls/${call.id}/hangup`), 200);
    await waitForCall(b, call.id, (c) => c.status === 'hangup');
  });
});
