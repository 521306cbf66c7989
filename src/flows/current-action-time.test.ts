import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isoNow } from '../shared/index.ts';
import { act, aid } from './testing/action-ids.ts';
import { CUSTOMER, EngineHarness } from './testing/engine-harness.ts';
import { waitFor } from './testing/fake-ports.ts';

describe('current_action.tm_execute', () => {
  test('null before any action ran; the clock time each action started; null again once the flow ended', async () => {
    const h = new EngineHarness();
    h.calls.addCall({ id: 'call-1' }, 'progressing');
    const { activeflow_id: id } = await h.engine.create({
      customer_id: CUSTOMER,
      call_id: 'call-1',
      source: { actions: [act(1, 'sleep', { duration: 2000 }), act(2, 'sleep', { duration: 500 })] },
      variables: {},
    });
    const before = await h.activeflow(id);
    assert.equal(before.current_action.tm_execute, null, 'no action ran yet');
    assert.equal(h.store.rows.get(id)?.current_action.tm_execute, null, 'stored as null');

    const started = isoNow(h.clock);
    await h.engine.execute(id);
    await waitFor(() => h.clock.pending > 0, 'the first sleep');
    const first = await h.activeflow(id);
    assert.equal(first.current_action.id, aid(1));
    assert.equal(first.current_action.tm_execute, started);
    assert.equal(h.store.rows.get(id)?.current_action.tm_execute, started, 'stored with the row');
    assert.equal(first.executed_actions[0]?.tm_execute, started, 'the same time as its executed entry');

    h.clock.advance(2000);
    await waitFor(() => h.store.rows.get(id)?.current_action.id === aid(2), 'the second sleep');
    const second = await h.activeflow(id);
    assert.equal(second.current_action.tm_execute, new Date(Date.parse(started) + 2000).toISOString());
    const updated = h.store.events.filter((e) => e.type === 'activeflow_updated').at(-1);
    assert.equal(updated?.data.current_action.tm_execute, second.current_action.tm_execute, 'events carry it');

    await waitFor(() => h.clock.pending > 0, 'the second timer');
    h.clock.advance(500);
    const ended = await h.ended(id);
    assert.equal(ended.current_action.tm_execute, null, 'the nil action has no time');
  });
});
