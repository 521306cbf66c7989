import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { dropDatabase, ensureDatabase, newAdminKey, withDatabase } from '../../scripts/cluster-launcher.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import { apiCall, expectStatus, startSippProvider, waitForCall, type TestCallbin } from '../support/callbin.ts';
import { sipAt, waitForGroupcall } from '../support/groupcalls.ts';
import { TEST_DATABASE_SERVER, startInProcessNode } from '../support/cluster.ts';

// docs/cluster.md "Any node serves the whole API": two nodes in this process on one fresh
// PostgreSQL database and the real NATS server; a groupcall created through node A rings sipp
// peers from A, and its hangup or delete through node B runs on A.

const run = randomBytes(4).toString('hex');
const SOURCE = { type: 'tel', target: '+15550001000' };

function startNode(name: string, databaseUrl: string, adminKey: string): Promise<TestCallbin> {
  return startInProcessNode(`gc-${name}-${run}`, databaseUrl, adminKey);
}

describe('cluster e2e: a groupcall created through A is hung up and deleted through B', () => {
  const databaseUrl = withDatabase(TEST_DATABASE_SERVER, `callbin_gcs_${run}`);
  const adminKey = newAdminKey();
  let a: TestCallbin | undefined;
  let b: TestCallbin | undefined;
  const peers: SippProcess[] = [];

  before(async () => {
    await ensureDatabase(databaseUrl);
    a = await startNode('a', databaseUrl, adminKey);
    b = await startNode('b', databaseUrl, adminKey);
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.stop()));
    await b?.close();
    await a?.close();
    await dropDatabase(databaseUrl).catch(() => undefined);
  });

  /** A groupcall created through A whose calls ring the given number of sipp peers that never answer. */
  async function ringingOnA(count: number): Promise<{ gc: any; sipps: SippProcess[] }> {
    assert.ok(a && b);
    const started = await Promise.all(
      Array.from({ length: count }, () => startSippProvider('e2e-uas-ringing-then-cancel.xml')),
    );
    const sipps = started.map((p) => p.sipp);
    peers.push(...sipps);
    const gc = expectStatus(
      await a.api('POST', '/v1.0/groupcalls', {
        source: SOURCE,
        destinations: started.map((p, i) => sipAt(`u${i}`, p.port)),
        actions: [{ type: 'hangup' }],
        ring_method: 'ring_all',
        answer_method: 'hangup_others',
      }),
      200,
    );
    for (const id of gc.call_ids) {
      await waitForCall(b, id, (c) => c.status === 'ringing');
      assert.equal(await b.handle.store.calls.ownerOf(id), a.handle.nodeId, 'the calls ring from A');
    }
    return { gc, sipps };
  }

  it('hangup through B CANCELs the calls on A; another customer gets 404; a second hangup 409', async () => {
    assert.ok(a && b);
    const { gc, sipps } = await ringingOnA(2);

    const customer = expectStatus(await b.api('POST', '/v1.0/customers', { name: `other ${run}` }), 200);
    const key = expectStatus(await b.api('POST', '/v1.0/accesskeys', { name: 'k', customer_id: customer.id }), 200)
      .token as string;
    const node = b;
    const asOther = (method: string, path: string) => apiCall(node.handle.apiUrl, key, method, path);
    for (const [method, path] of [
      ['POST', `/v1.0/groupcalls/${gc.id}/hangup`],
      ['DELETE', `/v1.0/groupcalls/${gc.id}`],
    ] as const)
      assert.equal(expectStatus(await asOther(method, path), 404).error.reason, 'GROUPCALL_NOT_FOUND');
    assert.equal(expectStatus(await b.api('GET', `/v1.0/groupcalls/${gc.id}`), 200).status, 'progressing');

    const hangingUp = expectStatus(await b.api('POST', `/v1.0/groupcalls/${gc.id}/hangup`), 200);
    assert.equal(hangingUp.id, gc.id);
    assert.ok(['hangingup', 'hangup'].includes(hangingUp.status), hangingUp.status);
    for (const sipp of sipps) assert.equal((await sipp.exited).code, 0, 'the peer got a CANCEL from A');
    const ended = await waitForGroupcall(b, gc.id, (g) => g.status === 'hangup');
    assert.equal(ended.call_count, 0);
    for (const id of gc.call_ids) {
      const call = expectStatus(await b.api('GET', `/v1.0/calls/${id}`), 200);
      assert.deepEqual([call.status, call.hangup_by, call.hangup_reason], ['hangup', 'local', 'cancel']);
    }
    const again = expectStatus(await b.api('POST', `/v1.0/groupcalls/${gc.id}/hangup`), 409);
    assert.equal(again.error.reason, 'GROUPCALL_ALREADY_HANGUP');
  });

  it('DELETE of a live groupcall through B hangs it up on A, then hides it', async () => {
    assert.ok(a && b);
    const { gc, sipps } = await ringingOnA(1);
    const deleted = expectStatus(await b.api('DELETE', `/v1.0/groupcalls/${gc.id}`), 200);
    assert.equal(deleted.id, gc.id);
    assert.equal(typeof deleted.tm_delete, 'string');
    for (const sipp of sipps) assert.equal((await sipp.exited).code, 0, 'the peer got a CANCEL from A');
    const [callId] = gc.call_ids as string[];
    assert.ok(callId);
    const call = await waitForCall(b, callId, (c) => c.status === 'hangup');
    assert.deepEqual([call.hangup_by, call.hangup_reason], ['local', 'cancel']);
    expectStatus(await b.api('GET', `/v1.0/groupcalls/${gc.id}`), 404);
  });
});
