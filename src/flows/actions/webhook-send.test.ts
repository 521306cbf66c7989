import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { act, aid } from '../testing/action-ids.ts';
import { CUSTOMER, EngineHarness } from '../testing/engine-harness.ts';
import { Gate, waitFor } from '../testing/fake-ports.ts';

describe('webhook_send', () => {
  test('sync waits for the answer before the next action', async () => {
    const h = new EngineHarness();
    const answered = new Gate();
    h.http.sendImpl = async () => {
      await answered.promise;
      return { status: 204 };
    };
    const id = await h.startApi([
      act(1, 'webhook_send', { uri: 'https://hooks.test/a', data: '{"d":"${voipbin.activeflow.id}"}', sync: true }),
      act(2, 'variable_set', { key: 'after', value: 'ran' }),
    ]);
    await waitFor(() => h.http.sent.length === 1);
    await waitFor(() => false, '', 20).catch(() => undefined);
    assert.equal(h.store.rows.get(id)?.variables['after'], undefined, 'waits for the answer');
    answered.open();
    const af = await h.ended(id);
    assert.equal(af.variables['after'], 'ran');
    assert.deepEqual(h.http.sent[0], {
      customer_id: CUSTOMER,
      activeflow_id: id,
      action_id: aid(1),
      uri: 'https://hooks.test/a',
      method: 'POST',
      data_type: 'application/json',
      data: `{"d":"${id}"}`,
    });
  });

  test('sync gives up after 5 s as an action error; without sync the flow moves on at once', async () => {
    const h = new EngineHarness();
    h.http.sendImpl = (_req, signal) =>
      new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const id = await h.startApi([
      act(1, 'webhook_send', { uri: 'https://hooks.test/slow', sync: true }),
      act(2, 'variable_set', { key: 'after', value: 'ran' }),
    ]);
    await waitFor(() => h.clock.pending === 1);
    h.clock.advance(5000);
    const af = await h.ended(id);
    assert.equal(af.executed_actions[0]?.error?.code, 'WEBHOOK_TIMEOUT');
    assert.equal(af.variables['after'], 'ran');

    const fire = await h.startApi([
      act(1, 'webhook_send', { uri: 'https://hooks.test/slow', method: 'PUT' }),
      act(2, 'variable_set', { key: 'after', value: 'ran' }),
    ]);
    await waitFor(() => h.store.rows.get(fire)?.status === 'ended', 'flow end');
    assert.equal(h.http.sent.at(-1)?.method, 'PUT');
    assert.equal(h.clock.pending, 1, 'the webhook is still being sent after the flow ended');
    h.clock.advance(5000);
    await h.engine.whenIdle();
  });
});
