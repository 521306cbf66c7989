import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { act } from '../testing/action-ids.ts';
import { EngineHarness } from '../testing/engine-harness.ts';
import { waitFor } from '../testing/fake-ports.ts';

const three = [
  { type: 'tel', target: '+15550101' },
  { type: 'tel', target: '+15550102' },
  { type: 'tel', target: '+15550103' },
];

async function connect(
  h: EngineHarness,
  option: Record<string, unknown>,
  status: 'ringing' | 'progressing' = 'ringing',
): Promise<string> {
  const id = await h.startCall([act(1, 'connect', option), act(2, 'variable_set', { key: 'after', value: 'ran' })], {
    status,
  });
  await waitFor(() => h.calls.dials.length === 1 && h.clock.pending > 0, 'callees dialled');
  return id;
}

/** Logs the options of `answer` and `bridge` the fake leaves out: `early call-1`, `bridge call-1 callee-1 join`. */
function withOptions(h: EngineHarness): void {
  const calls = h.calls;
  const answer = calls.answer.bind(calls);
  calls.answer = async (callId: string, options?: { early?: boolean }) => {
    if (options?.early === true) calls.log.push(`early ${callId}`);
    else await answer(callId);
  };
  calls.bridge = async (a: string, b: string, options?: { join?: boolean }) => {
    calls.log.push(`bridge ${a} ${b}${options?.join === true ? ' join' : ''}`);
  };
}

describe('connect', () => {
  test('ring_all: the first callee to answer is bridged, the others are cancelled; the flow continues when it leaves', async () => {
    const h = new EngineHarness();
    const id = await connect(h, { destinations: three, ring_timeout: 30 });
    const dial = h.calls.dials[0];
    assert.equal(dial?.master_call_id, 'call-1');
    assert.equal(dial?.ring_timeout_sec, 30);
    assert.equal(dial?.source.target, '+15550001', "the caller's number by default");
    h.calls.progress('callee-1', { kind: 'ringing', early_media: false });
    h.calls.progress('callee-2', { kind: 'answered' });
    await waitFor(() => h.calls.log.includes('bridge call-1 callee-2'), 'bridge');
    assert.ok(h.calls.log.includes('answer call-1'), 'the incoming master is answered');
    assert.ok(h.calls.log.includes('hangup callee-1 '));
    assert.ok(h.calls.log.includes('hangup callee-3 '));
    assert.equal(h.clock.pending, 0, 'the ring timer is cleared');
    assert.equal(h.store.rows.get(id)?.variables['after'], undefined, 'the flow waits while bridged');
    h.calls.progress('callee-2', { kind: 'hangup', reason: 'normal' });
    const af = await h.ended(id);
    assert.equal(af.variables['after'], 'ran');
    assert.ok(h.calls.log.includes('unbridge call-1 callee-2'));
  });

  test('join_all: every callee that answers joins; the flow continues when the last one left', async () => {
    const h = new EngineHarness();
    const id = await connect(h, { destinations: three, ring_method: 'join_all' });
    h.calls.progress('callee-1', { kind: 'answered' });
    h.calls.progress('callee-3', { kind: 'answered' });
    h.calls.progress('callee-2', { kind: 'hangup', reason: 'busy' });
    await waitFor(() => h.calls.log.includes('bridge call-1 callee-3'));
    assert.ok(h.calls.log.includes('bridge call-1 callee-1'));
    h.calls.progress('callee-1', { kind: 'hangup', reason: 'normal' });
    await waitFor(() => h.calls.log.includes('unbridge call-1 callee-1'));
    assert.equal(h.store.rows.get(id)?.variables['after'], undefined, 'one callee is still bridged');
    h.calls.progress('callee-3', { kind: 'hangup', reason: 'normal' });
    assert.equal((await h.ended(id)).variables['after'], 'ran');
  });

  test('nobody answers within ring_timeout: the callees are cancelled and the flow continues', async () => {
    const h = new EngineHarness();
    const id = await connect(h, { destinations: three.slice(0, 2), ring_timeout: 20 }, 'progressing');
    h.clock.advance(20_000);
    const af = await h.ended(id);
    assert.equal(af.variables['after'], 'ran');
    assert.ok(h.calls.log.includes('hangup callee-1 ') && h.calls.log.includes('hangup callee-2 '));
    assert.ok(!h.calls.log.some((l) => l.startsWith('bridge')));
    assert.ok(!h.calls.log.includes('hangup call-1 noanswer'), 'no relay without relay_reason');
  });

  test('relay_reason: a busy callee ends this call busy; a ring timeout ends it noanswer', async () => {
    const h = new EngineHarness();
    const busy = await connect(h, { destinations: three.slice(0, 1), relay_reason: true });
    h.calls.progress('callee-1', { kind: 'hangup', reason: 'busy' });
    const af = await h.ended(busy);
    assert.ok(h.calls.log.includes('hangup call-1 busy'));
    assert.equal(af.variables['after'], undefined, 'the flow ends with the call');

    const h2 = new EngineHarness();
    const late = await connect(h2, { destinations: three.slice(0, 1), relay_reason: true, ring_timeout: 5 });
    h2.clock.advance(5000);
    await h2.ended(late);
    assert.ok(h2.calls.log.includes('hangup call-1 noanswer'));
  });

  test('early_media bridges a ringing callee that sends audio before it answers', async () => {
    const h = new EngineHarness();
    const id = await connect(h, { destinations: three.slice(0, 2), early_media: true });
    h.calls.progress('callee-2', { kind: 'ringing', early_media: true });
    await waitFor(() => h.calls.log.includes('bridge call-1 callee-2'));
    h.calls.progress('callee-1', { kind: 'answered' });
    await waitFor(() => h.calls.log.includes('bridge call-1 callee-1'));
    assert.ok(h.calls.log.includes('unbridge call-1 callee-2'), 'the early bridge gives way to the answering callee');
    h.calls.progress('callee-1', { kind: 'hangup', reason: 'normal' });
    assert.equal((await h.ended(id)).variables['after'], 'ran');
  });

  test("early_media: an unanswered master is sent 183 (not answered) while it hears the callee; the callee's answer answers it", async () => {
    const h = new EngineHarness();
    withOptions(h);
    const id = await connect(h, { destinations: three.slice(0, 1), early_media: true });
    h.calls.progress('callee-1', { kind: 'ringing', early_media: false });
    h.calls.progress('callee-1', { kind: 'ringing', early_media: true });
    await waitFor(() => h.calls.log.includes('bridge call-1 callee-1'), 'early bridge');
    assert.ok(h.calls.log.includes('early call-1'), 'the master got 183 with SDP');
    assert.ok(!h.calls.log.includes('answer call-1'), 'the master is not answered before the callee');
    assert.ok(
      h.calls.log.indexOf('early call-1') < h.calls.log.indexOf('bridge call-1 callee-1'),
      'the 183 goes out before the bridge',
    );
    h.calls.progress('callee-1', { kind: 'answered' });
    await waitFor(() => h.calls.log.includes('answer call-1'), 'master answered');
    assert.equal(
      h.calls.log.filter((l) => l.startsWith('bridge')).length,
      1,
      'the early bridge goes on after the answer',
    );
    assert.ok(!h.calls.log.some((l) => l.startsWith('unbridge')));
    h.calls.progress('callee-1', { kind: 'hangup', reason: 'normal' });
    assert.equal((await h.ended(id)).variables['after'], 'ran');
  });

  test('early_media: an answered master hears early media without a 183; without early_media nothing is bridged before an answer', async () => {
    const h = new EngineHarness();
    withOptions(h);
    await connect(h, { destinations: three.slice(0, 1), early_media: true }, 'progressing');
    h.calls.progress('callee-1', { kind: 'ringing', early_media: true });
    await waitFor(() => h.calls.log.includes('bridge call-1 callee-1'), 'early bridge');
    assert.ok(!h.calls.log.includes('early call-1'), 'an answered master needs no 183');

    const off = new EngineHarness();
    withOptions(off);
    await connect(off, { destinations: three.slice(0, 1), early_media: false });
    off.calls.progress('callee-1', { kind: 'ringing', early_media: true });
    off.calls.progress('callee-1', { kind: 'answered' });
    await waitFor(() => off.calls.log.includes('bridge call-1 callee-1'), 'bridge at answer');
    assert.ok(!off.calls.log.includes('early call-1'));
    assert.ok(off.calls.log.indexOf('answer call-1') < off.calls.log.indexOf('bridge call-1 callee-1'));
  });

  test("join_all: every bridge joins the master's mix; an early callee gives way when another answers and joins at its own answer", async () => {
    const h = new EngineHarness();
    withOptions(h);
    const id = await connect(h, { destinations: three, ring_method: 'join_all', early_media: true });
    h.calls.progress('callee-1', { kind: 'ringing', early_media: true });
    await waitFor(() => h.calls.log.includes('bridge call-1 callee-1 join'), 'early join');
    h.calls.progress('callee-2', { kind: 'answered' });
    await waitFor(() => h.calls.log.includes('bridge call-1 callee-2 join'), 'answered join');
    assert.ok(h.calls.log.includes('unbridge call-1 callee-1'), 'the early callee is no longer heard');
    h.calls.progress('callee-1', { kind: 'answered' });
    h.calls.progress('callee-3', { kind: 'answered' });
    await waitFor(() => h.calls.log.filter((l) => l === 'bridge call-1 callee-1 join').length === 2, 'rejoined');
    await waitFor(() => h.calls.log.includes('bridge call-1 callee-3 join'));
    for (const callee of ['callee-1', 'callee-2', 'callee-3'])
      h.calls.progress(callee, { kind: 'hangup', reason: 'normal' });
    assert.equal((await h.ended(id)).variables['after'], 'ran');
  });
});

describe('call', () => {
  test('starts independent calls with their own flow; chained ones name this call as master; the flow moves on at once', async () => {
    const h = new EngineHarness();
    const flowId = '44444444-4444-4444-8444-444444444444';
    await h.ended(
      await h.startCall([
        act(1, 'call', { destinations: three.slice(0, 2), flow_id: flowId, early_execution: true }),
        act(2, 'call', {
          source: { type: 'tel', target: '+15559999' },
          destinations: three.slice(2),
          actions: [{ type: 'talk', option: { text: '${keep}' } }],
          chained: true,
        }),
      ]),
    );
    const [first, second] = h.calls.dials;
    assert.deepEqual(first?.flow, { flow_id: flowId });
    assert.equal(first?.master_call_id, undefined);
    assert.equal(first?.early_execution, true);
    assert.equal(first?.source.target, '+15550002', "callbin's own number of the incoming call");
    assert.equal(second?.master_call_id, 'call-1');
    assert.equal(second?.source.target, '+15559999');
    const nested = (second?.flow as { actions: { option: { text: string } }[] }).actions;
    assert.equal(nested[0]?.option.text, '${keep}', 'nested actions keep their own variables');
  });
});
