import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NIL_UUID, ValidationError } from '../../shared/index.ts';
import { validateFlowActions } from '../flow-action-validator.ts';
import type { FlowAction } from '../flow-action.ts';
import { act, aid } from '../testing/action-ids.ts';
import { CUSTOMER, EngineHarness } from '../testing/engine-harness.ts';
import { waitFor } from '../testing/fake-ports.ts';

const CONFERENCE = '33333333-3333-4333-8333-333333333333';
const PRE = '44444444-4444-4444-8444-444444444444';
const POST = '55555555-5555-4555-8555-555555555555';

function markFlow(h: EngineHarness, flowId: string, n: number, mark: string): void {
  const actions: FlowAction[] = [
    { id: aid(n), next_id: NIL_UUID, type: 'variable_set', option: { key: 'trail', value: `\${trail}${mark}` } },
  ];
  h.flows.flows.set(flowId, { id: flowId, customer_id: CUSTOMER, actions });
}

describe('confbridge_join', () => {
  test('joins the conference named by confbridge_id, without its pre and post flows, as the activeflow', async () => {
    const h = new EngineHarness();
    markFlow(h, PRE, 50, 'pre,');
    markFlow(h, POST, 60, 'post,');
    h.conferences.flows.set(CONFERENCE, { pre_flow_id: PRE, post_flow_id: POST });
    const id = await h.startCall(
      [
        act(1, 'confbridge_join', { confbridge_id: CONFERENCE }),
        act(2, 'variable_set', { key: 'trail', value: '${trail}after' }),
      ],
      { status: 'ringing' },
    );
    await waitFor(() => h.conferences.joined.length === 1, 'the join');
    const joined = h.conferences.joined[0];
    assert.equal(joined?.callId, 'call-1');
    assert.equal(joined?.conferenceId, CONFERENCE);
    assert.deepEqual(joined?.joiner, { activeflowId: id }, 'the conferencecall is told its activeflow');
    assert.ok(h.calls.log.includes('answer call-1'), 'a ringing call is answered before it joins');
    joined?.leave();
    const af = await h.ended(id);
    assert.equal(af.variables['trail'], 'after', 'neither the pre nor the post flow ran');
    assert.deepEqual(await h.executed(id), ['confbridge_join', 'variable_set']);
    assert.deepEqual(h.store.errors(), []);
  });

  test('an id that is no progressing conference of the customer is an action error; the call is not answered', async () => {
    const h = new EngineHarness();
    const id = await h.startCall(
      [
        act(1, 'confbridge_join', { confbridge_id: CONFERENCE }),
        act(2, 'variable_set', { key: 'after', value: 'ran' }),
      ],
      { status: 'ringing' },
    );
    const af = await h.ended(id);
    assert.equal(af.variables['after'], 'ran', 'the flow moves on');
    assert.equal(h.conferences.joined.length, 0);
    assert.ok(!h.calls.log.includes('answer call-1'), h.calls.log.join('\n'));
    const [error] = h.store.errors();
    assert.equal(error?.code, 'CONFERENCE_NOT_FOUND');
    assert.equal(error?.type, 'confbridge_join');
    assert.match(error?.message ?? '', new RegExp(`confbridge_id ${CONFERENCE} is not a progressing conference`));
  });

  test('a confbridge_id that is not a UUID is refused when the flow is saved, on its field', () => {
    const refusal = (() => {
      try {
        validateFlowActions([{ type: 'answer' }, { type: 'confbridge_join', option: { confbridge_id: 'room-1' } }]);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    assert.ok(refusal instanceof ValidationError, 'refused');
    assert.deepEqual(
      refusal.details.map((d) => [d.field, d.reason]),
      [['actions[1].option.confbridge_id', 'INVALID_ACTION']],
    );
    const missing = (() => {
      try {
        validateFlowActions([{ type: 'confbridge_join' }]);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    assert.ok(missing instanceof ValidationError);
    assert.equal(missing.details[0]?.field, 'actions[0].option.confbridge_id');
  });

  test('conference_join tells the conference its activeflow too', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([act(1, 'conference_join', { conference_id: CONFERENCE })]);
    await waitFor(() => h.conferences.joined.length === 1, 'the join');
    assert.deepEqual(h.conferences.joined[0]?.joiner, { activeflowId: id });
    h.conferences.joined[0]?.leave();
    await h.ended(id);
  });
});
