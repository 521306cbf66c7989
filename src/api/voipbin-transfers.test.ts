import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTransfersApi } from '../../test/support/transfers-api.ts';
import { address } from '../calls/testing/fake-ports.ts';
import { NIL_UUID } from '../shared/index.ts';

/** The transferee as a request names it, and as answers show it (every address field filled). */
const to1003 = { type: 'extension', target: '1003' };
const shown1003 = address('extension', '1003');

describe("/v1.0/transfers in VoIPBIN's form", () => {
  let api: Awaited<ReturnType<typeof startTransfersApi>>;
  let acme: { id: string; key: string };
  before(async () => {
    api = await startTransfersApi('callbin-voipbin-transfers-');
    acme = await api.newCustomer('acme');
  });
  after(() => api.close());

  it('transfer_type + transferee_addresses starts a blind transfer; answers carry VoIPBIN fields and callbin fields', async () => {
    const { caller, agent } = await api.talking(acme.id);
    const created = await api.request('POST', '/v1.0/transfers', {
      key: acme.key,
      body: { transfer_type: 'blind', transferer_call_id: agent.id, transferee_addresses: [to1003] },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const t = created.body;
    assert.equal(t.type, 'blind');
    assert.equal(t.customer_id, acme.id);
    assert.equal(t.transferer_call_id, agent.id);
    assert.equal(t.transferred_call_id, caller.id);
    assert.equal(t.status, 'initiated');
    assert.deepEqual(t.transferee_addresses, [shown1003]);
    assert.deepEqual(t.transferee, shown1003);
    assert.equal(t.groupcall_id, NIL_UUID);
    assert.equal(t.confbridge_id, NIL_UUID);
    assert.ok((await api.service.get(t.transferee_call_id))?.destination.target === '1003');
    await api.idle();
    api.fakes.signaling.last(t.transferee_call_id).answer();
    await api.idle();
    const read = await api.request('GET', `/v1.0/transfers/${t.id}`, { key: acme.key });
    assert.equal(read.body.status, 'completed');
    assert.deepEqual(read.body.transferee_addresses, [shown1003]);
    assert.equal(read.body.groupcall_id, NIL_UUID);
    assert.equal((await api.service.get(agent.id))?.status, 'hangup');
  });

  it("callbin's own form answers with VoIPBIN's fields too, and cancel does", async () => {
    const { agent } = await api.talking(acme.id);
    const created = await api.request('POST', '/v1.0/transfers', {
      key: acme.key,
      body: { type: 'attended', transferer_call_id: agent.id, transferee: to1003 },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.deepEqual(created.body.transferee_addresses, [shown1003]);
    assert.equal(created.body.confbridge_id, NIL_UUID);
    await api.idle();
    const canceled = await api.request('POST', `/v1.0/transfers/${created.body.id}/cancel`, { key: acme.key });
    assert.equal(canceled.body.status, 'canceled');
    assert.deepEqual(canceled.body.transferee_addresses, [shown1003]);
  });

  it('refuses several addresses, both forms at once, neither, and names the VoIPBIN field of a bad address', async () => {
    const { agent } = await api.talking(acme.id);
    const post = (body: Record<string, unknown>) =>
      api.request('POST', '/v1.0/transfers', { key: acme.key, body: { transferer_call_id: agent.id, ...body } });
    const two = await post({ transfer_type: 'blind', transferee_addresses: [to1003, { ...to1003, target: '1004' }] });
    assert.equal(two.status, 400);
    assert.equal(two.body.error.details[0].field, 'transferee_addresses');
    assert.equal(two.body.error.details[0].reason, 'TOO_MANY_ITEMS');
    const empty = await post({ transfer_type: 'blind', transferee_addresses: [] });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.details[0].reason, 'TOO_FEW_ITEMS');
    const bothTypes = await post({ type: 'blind', transfer_type: 'attended', transferee: to1003 });
    assert.equal(bothTypes.status, 400);
    assert.equal(bothTypes.body.error.details[0].field, 'transfer_type');
    const bothTargets = await post({ type: 'blind', transferee: to1003, transferee_addresses: [to1003] });
    assert.equal(bothTargets.status, 400);
    assert.equal(bothTargets.body.error.details[0].field, 'transferee_addresses');
    const noType = await post({ transferee_addresses: [to1003] });
    assert.equal(noType.status, 400);
    assert.equal(noType.body.error.details[0].field, 'type');
    assert.equal(noType.body.error.details[0].reason, 'MISSING_FIELD');
    const noTarget = await post({ transfer_type: 'blind' });
    assert.equal(noTarget.status, 400);
    assert.equal(noTarget.body.error.details[0].field, 'transferee');
    const badTarget = await post({
      transfer_type: 'blind',
      transferee_addresses: [{ type: 'tel', target: '5551234' }],
    });
    assert.equal(badTarget.status, 400);
    assert.equal(badTarget.body.error.details[0].field, 'transferee_addresses[0].target');
    // Nothing was dialled or held by the refused requests: the agent can still be transferred.
    const ok = await post({ transfer_type: 'blind', transferee_addresses: [to1003] });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });
});
