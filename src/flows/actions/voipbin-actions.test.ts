import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { act, aid } from '../testing/action-ids.ts';
import { EngineHarness } from '../testing/engine-harness.ts';
import { waitFor } from '../testing/fake-ports.ts';
import { digitsConditionHolds } from './condition-call-digits.ts';

/** A flow that runs `condition` and records which way it went in the variable `path`. */
function conditionFlow(condition: Record<string, unknown>, before: readonly unknown[] = []): unknown[] {
  return [
    ...before,
    condition,
    act(20, 'variable_set', { key: 'path', value: 'true' }),
    act(21, 'stop'),
    act(22, 'variable_set', { key: 'path', value: 'false' }),
  ];
}

async function pathOf(h: EngineHarness, actions: readonly unknown[], status?: 'ringing'): Promise<string | undefined> {
  const af = await h.ended(await h.startCall(actions, status ? { status } : {}));
  return af.variables['path'];
}

function digitsFlow(digits: string, option: Record<string, unknown>): unknown[] {
  return conditionFlow(act(2, 'condition_call_digits', { ...option, false_target_id: aid(22) }), [
    act(1, 'variable_set', { key: 'voipbin.call.digits', value: digits }),
  ]);
}

describe('VoIPBIN flow actions', () => {
  test('condition_call_digits: true when the length is reached', async () => {
    const h = new EngineHarness();
    assert.equal(await pathOf(h, digitsFlow('123', { length: 3 })), 'true');
    assert.equal(await pathOf(h, digitsFlow('1234', { length: 3 })), 'true');
  });

  test('condition_call_digits: false jumps to false_target_id when too few digits and no key', async () => {
    const h = new EngineHarness();
    assert.equal(await pathOf(h, digitsFlow('12', { length: 3, key: '#' })), 'false');
    assert.equal(await pathOf(h, digitsFlow('', {})), 'false', 'neither length nor key: false');
  });

  test('condition_call_digits: true when the key is among the received digits', async () => {
    const h = new EngineHarness();
    assert.equal(await pathOf(h, digitsFlow('12#', { key: '#' })), 'true');
    assert.equal(await pathOf(h, digitsFlow('1#2', { length: 5, key: '#' })), 'true');
  });

  test('condition_call_digits: the condition itself', () => {
    assert.equal(digitsConditionHolds('', 0, ''), false);
    assert.equal(digitsConditionHolds('12', 0, '2'), true);
    assert.equal(digitsConditionHolds('12', 2, ''), true);
    assert.equal(digitsConditionHolds('1', 2, '3'), false);
  });

  test('condition_call_status: true on the call status, false jumps; the call is not answered', async () => {
    const h = new EngineHarness();
    const cond = (status: string) => act(1, 'condition_call_status', { status, false_target_id: aid(22) });
    assert.equal(await pathOf(h, conditionFlow(cond('progressing'))), 'true');
    h.calls.calls.clear();
    assert.equal(await pathOf(h, conditionFlow(cond('progressing')), 'ringing'), 'false');
    h.calls.calls.clear();
    assert.equal(await pathOf(h, conditionFlow(cond('ringing')), 'ringing'), 'true');
    assert.equal(h.calls.log.filter((l) => l.startsWith('answer')).length, 0, 'checking the status does not answer');
  });

  test('condition_call_status: a call no longer known is false', async () => {
    const h = new EngineHarness();
    const id = await h.startCall(
      conditionFlow(act(2, 'condition_call_status', { status: 'progressing', false_target_id: aid(22) }), [
        act(1, 'sleep', { duration: 10 }),
      ]),
    );
    await waitFor(() => h.clock.pending > 0);
    h.calls.calls.delete('call-1');
    h.clock.advance(10);
    assert.equal((await h.ended(id)).variables['path'], 'false');
  });

  test('mute answers a ringing call and mutes both directions by default', async () => {
    const h = new EngineHarness();
    await h.ended(await h.startCall([act(1, 'mute')], { status: 'ringing' }));
    assert.deepEqual(h.calls.log, ['answer call-1', 'mute call-1 both']);
    assert.equal(h.calls.calls.get('call-1')?.mute_direction, 'both');
  });

  test('mute with a direction mutes that direction only', async () => {
    const h = new EngineHarness();
    await h.ended(await h.startCall([act(1, 'mute', { direction: 'in' })]));
    assert.deepEqual(h.calls.log, ['mute call-1 in']);
    assert.equal(h.calls.calls.get('call-1')?.mute_direction, 'in');
  });

  test('stream_echo echoes for its duration, like echo', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([
      act(1, 'stream_echo', { duration: 2000 }),
      act(2, 'variable_set', { key: 'after', value: 'ran' }),
    ]);
    await waitFor(() => h.calls.running('echo').length === 1 && h.clock.pending > 0);
    h.clock.advance(1999);
    await waitFor(() => false, '', 20).catch(() => undefined);
    assert.equal(h.calls.running('echo').length, 1, 'echo lasts its duration');
    h.clock.advance(1);
    assert.equal((await h.ended(id)).variables['after'], 'ran');
    assert.equal(h.calls.running('echo').length, 0);
    assert.ok(h.calls.ops.find((o) => o.op === 'echo')?.aborted, 'the echo was stopped');
  });

  test('without a call the call actions are skipped', async () => {
    const h = new EngineHarness();
    const id = await h.startApi(
      conditionFlow(act(1, 'condition_call_status', { status: 'ringing', false_target_id: aid(22) }), [act(0, 'mute')]),
    );
    assert.equal((await h.ended(id)).variables['path'], 'true');
    assert.deepEqual(h.calls.log, []);
  });
});
