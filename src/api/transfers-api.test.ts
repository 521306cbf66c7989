import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTransfersApi } from '../../test/support/transfers-api.ts';

describe('/v1.0/transfers', () => {
  let api: Awaited<ReturnType<typeof startTransfersApi>>;
  let acme: { id: string; key: string };
  let other: { id: string; key: string };
  before(async () => {
    api = await startTransfersApi('callbin-transfers-api-');
    acme = await api.newCustomer('acme');
    other = await api.newCustomer('other');
  });
  after(() => api.close());

  it('attended: POST creates it (initiated), GET follows it, complete hangs the agent up; another customer sees 404', async () => {
    const { caller, agent } = await api.talking(acme.id);
    const created = await api.request('POST', '/v1.0/transfers', {
      key: acme.key,
      body: { type: 'attended', transferer_call_id: agent.id, transferee: { type: 'extension', target: '1003' } },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.status, 'initiated');
    assert.equal(created.body.transferred_call_id, caller.id);
    assert.equal((await api.request('GET', `/v1.0/transfers/${created.body.id}`, { key: other.key })).status, 404);
    assert.equal(
      (await api.request('POST', `/v1.0/transfers/${created.body.id}/complete`, { key: other.key })).status,
      404,
    );
    const early = await api.request('POST', `/v1.0/transfers/${created.body.id}/complete`, { key: acme.key });
    assert.equal(early.status, 409);
    assert.equal(early.body.error.reason, 'TRANSFER_STATE_INVALID');
    await api.idle();
    api.fakes.signaling.last(created.body.transferee_call_id).answer();
    await api.idle();
    assert.equal(
      (await api.request('GET', `/v1.0/transfers/${created.body.id}`, { key: acme.key })).body.status,
      'answered',
    );
    const done = await api.request('POST', `/v1.0/transfers/${created.body.id}/complete`, { key: acme.key });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.status, 'completed');
    await api.idle();
    assert.equal((await api.service.get(agent.id))?.status, 'hangup');
    assert.equal((await api.service.get(caller.id))?.status, 'progressing');
  });

  it('blind: cancel while ringing reconnects; validation and state errors are 400/404/409', async () => {
    const { agent, caller } = await api.talking(acme.id);
    const bad = await api.request('POST', '/v1.0/transfers', {
      key: acme.key,
      body: { type: 'blind', transferer_call_id: agent.id, transferee: { type: 'tel', target: '5551234' } },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].field, 'transferee.target');
    assert.equal(
      (
        await api.request('POST', '/v1.0/transfers', {
          key: acme.key,
          body: { type: 'sideways', transferer_call_id: agent.id, transferee: { type: 'extension', target: '1003' } },
        })
      ).status,
      400,
    );
    const foreign = await api.request('POST', '/v1.0/transfers', {
      key: other.key,
      body: { type: 'blind', transferer_call_id: agent.id, transferee: { type: 'extension', target: '1003' } },
    });
    assert.equal(foreign.status, 404);
    const master = await api.request('POST', '/v1.0/transfers', {
      key: acme.key,
      body: { type: 'blind', transferer_call_id: caller.id, transferee: { type: 'extension', target: '1003' } },
    });
    assert.equal(master.status, 409);
    assert.equal(master.body.error.reason, 'TRANSFER_NOT_SUPPORTED');
    const created = await api.request('POST', '/v1.0/transfers', {
      key: acme.key,
      body: { type: 'blind', transferer_call_id: agent.id, transferee: { type: 'extension', target: '1003' } },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    await api.idle();
    const canceled = await api.request('POST', `/v1.0/transfers/${created.body.id}/cancel`, { key: acme.key });
    assert.equal(canceled.body.status, 'canceled');
    await api.idle();
    assert.equal((await api.service.get(created.body.transferee_call_id))?.status, 'hangup');
    assert.equal((await api.service.get(agent.id))?.status, 'progressing');
    assert.equal(
      (await api.request('POST', `/v1.0/transfers/${created.body.id}/cancel`, { key: acme.key })).status,
      409,
    );
  });
});
