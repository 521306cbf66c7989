import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NIL_UUID } from '../../shared/index.ts';
import type { FlowAction } from '../flow-action.ts';
import { act, aid } from '../testing/action-ids.ts';
import { CUSTOMER, EngineHarness } from '../testing/engine-harness.ts';
import { waitFor } from '../testing/fake-ports.ts';

const CONFERENCE = '33333333-3333-4333-8333-333333333333';
const PRE = '44444444-4444-4444-8444-444444444444';
const POST = '55555555-5555-4555-8555-555555555555';

/** A stored one-action flow appending `mark` to the `trail` variable. */
function markFlow(h: EngineHarness, flowId: string, n: number, mark: string): void {
  const actions: FlowAction[] = [
    { id: aid(n), next_id: NIL_UUID, type: 'variable_set', option: { key: 'trail', value: `\${trail}${mark}` } },
  ];
  h.flows.flows.set(flowId, { id: flowId, customer_id: CUSTOMER, actions });
}

describe('conference_join with the conference flows', () => {
  test('runs the pre flow before the call joins and the post flow after it leaves', async () => {
    const h = new EngineHarness();
    markFlow(h, PRE, 50, 'pre,');
    markFlow(h, POST, 60, 'post,');
    h.conferences.flows.set(CONFERENCE, { pre_flow_id: PRE, post_flow_id: POST });
    const id = await h.startCall([
      act(1, 'variable_set', { key: 'trail', value: 'start,' }),
      act(2, 'conference_join', { conference_id: CONFERENCE }),
      act(3, 'variable_set', { key: 'trail', value: '${trail}after' }),
    ]);
    await waitFor(() => h.conferences.joined.length === 1, 'the join');
    assert.equal((await h.activeflow(id)).variables['trail'], 'start,pre,', 'the pre flow ran before the join');
    h.conferences.joined[0]?.leave();
    const af = await h.ended(id);
    assert.equal(af.variables['trail'], 'start,pre,post,after');
    assert.equal(h.conferences.joined.length, 1, 'joined once');
    assert.deepEqual(h.store.errors(), []);
  });

  test('a conference without flows (nil UUID) joins directly', async () => {
    const h = new EngineHarness();
    h.conferences.flows.set(CONFERENCE, { pre_flow_id: NIL_UUID, post_flow_id: '' });
    const id = await h.startCall([
      act(1, 'conference_join', { conference_id: CONFERENCE }),
      act(2, 'variable_set', { key: 'after', value: 'ran' }),
    ]);
    await waitFor(() => h.conferences.joined.length === 1, 'the join');
    h.conferences.joined[0]?.leave();
    const af = await h.ended(id);
    assert.equal(af.variables['after'], 'ran');
    assert.deepEqual(await h.executed(id), ['conference_join', 'variable_set']);
  });

  test('a hangup while in the conference does not run the post flow', async () => {
    const h = new EngineHarness();
    markFlow(h, POST, 60, 'post,');
    h.conferences.flows.set(CONFERENCE, { pre_flow_id: NIL_UUID, post_flow_id: POST });
    const id = await h.startCall([act(1, 'conference_join', { conference_id: CONFERENCE })]);
    await waitFor(() => h.conferences.joined.length === 1, 'the join');
    await h.engine.stop(id);
    const af = await h.ended(id);
    assert.equal(af.variables['trail'], undefined);
  });
});
