import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NIL_UUID } from '../../shared/index.ts';
import { validateFlowActions } from '../flow-action-validator.ts';
import { act, aid } from '../testing/action-ids.ts';
import { EngineHarness } from '../testing/engine-harness.ts';
import { waitFor } from '../testing/fake-ports.ts';

const TEL = [{ type: 'tel', target: '+15550101' }];
const OTHER_CALL = '44444444-4444-4444-8444-444444444444';

/** Whether `validateFlowActions` takes one action with this option. */
function accepts(type: string, option: Record<string, unknown>): boolean {
  try {
    validateFlowActions([{ type, option }]);
    return true;
  } catch {
    return false;
  }
}

describe('VoIPBIN action options: validation', () => {
  test('each option VoIPBIN sends is accepted', () => {
    assert.ok(accepts('hangup', { reference_id: OTHER_CALL }));
    assert.ok(accepts('hangup', { reference_id: '' }));
    assert.ok(accepts('connect', { destinations: TEL, anonymous: 'yes' }));
    assert.ok(accepts('call', { destinations: TEL, flow_id: OTHER_CALL, anonymous: 'no' }));
    assert.ok(accepts('talk', { text: 'hi', provider: 'gcp' }));
    assert.ok(accepts('recording_start', { end_of_key: 'none' }));
    assert.ok(accepts('digits_receive', { length: 0, key: '#' }));
    assert.ok(accepts('condition_datetime', { condition: '>=', hour: -1, minute: -1, day: 0, month: 0 }));
    assert.ok(accepts('condition_datetime', { condition: '>=', hour: 8, day: -1, month: -1 }));
  });

  test('values outside them are still refused', () => {
    assert.ok(!accepts('hangup', { reference_id: 'not-a-uuid' }));
    assert.ok(!accepts('connect', { destinations: TEL, anonymous: 'maybe' }));
    assert.ok(!accepts('recording_start', { end_of_key: '5' }));
    assert.ok(!accepts('digits_receive', { length: -1 }));
    assert.ok(!accepts('condition_datetime', { condition: '==', hour: -2 }));
    assert.ok(!accepts('condition_datetime', { condition: '==', month: 13 }));
  });
});

describe('hangup.reference_id', () => {
  async function hangupWith(h: EngineHarness, option: Record<string, unknown>): Promise<void> {
    const id = await h.startCall([act(1, 'hangup', option)]);
    await h.ended(id);
  }

  test("an ended call of the customer: this call ends with that call's reason", async () => {
    const h = new EngineHarness();
    h.calls.addCall({ id: OTHER_CALL }, 'hangup').hangup_reason = 'busy';
    await hangupWith(h, { reference_id: OTHER_CALL, reason: 'normal' });
    assert.ok(h.calls.log.includes('hangup call-1 busy'), h.calls.log.join('\n'));
  });

  test("a call still up, another customer's call or an unknown one: the normal hangup", async () => {
    for (const setup of ['live', 'foreign', 'unknown'] as const) {
      const h = new EngineHarness();
      if (setup === 'live') h.calls.addCall({ id: OTHER_CALL }, 'progressing');
      if (setup === 'foreign') h.calls.addCall({ id: OTHER_CALL, customer_id: 'c2' }, 'hangup').hangup_reason = 'busy';
      await hangupWith(h, { reference_id: OTHER_CALL, reason: 'noanswer' });
      assert.ok(h.calls.log.includes('hangup call-1 noanswer'), `${setup}: ${h.calls.log.join('\n')}`);
    }
    const h = new EngineHarness();
    await hangupWith(h, { reference_id: NIL_UUID });
    assert.ok(h.calls.log.includes('hangup call-1 '), 'the nil UUID names no call');
  });
});

describe('anonymous on connect and call', () => {
  test('connect with anonymous yes dials without caller id', async () => {
    const h = new EngineHarness();
    await h.startCall([act(1, 'connect', { destinations: TEL, anonymous: 'yes' })]);
    await waitFor(() => h.calls.dials.length === 1, 'dialled');
    assert.equal(h.calls.dials[0]?.anonymous, true);
  });

  test('call with anonymous yes dials without caller id; no, or absent, with it', async () => {
    for (const [anonymous, expected] of [
      ['yes', true],
      ['no', undefined],
      [undefined, undefined],
    ] as const) {
      const h = new EngineHarness();
      const option = { destinations: TEL, actions: [{ type: 'hangup' }], ...(anonymous ? { anonymous } : {}) };
      await h.ended(await h.startCall([act(1, 'call', option)]));
      assert.equal(h.calls.dials[0]?.anonymous, expected, String(anonymous));
    }
  });
});

describe('talk.provider and recording_start.end_of_key none', () => {
  test('talk speaks the same with or without provider', async () => {
    const h = new EngineHarness();
    await h.ended(await h.startCall([act(1, 'talk', { text: 'hi', provider: 'aws' })]));
    assert.deepEqual(h.calls.ops[0]?.args, { text: 'hi', language: 'en-US' });
  });

  test('end_of_key none starts a recording no key stops', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([act(1, 'recording_start', { end_of_key: 'none', duration: 60 })]);
    await h.ended(id);
    const started = `recordingStart call-1 {"format":"wav","duration":60,"activeflow_id":"${id}"}`;
    assert.ok(h.calls.log.includes(started), h.calls.log.join('\n'));
  });
});

describe('digits_receive', () => {
  const receive = (option: Record<string, unknown>) => [
    act(11, 'digits_receive', option),
    act(12, 'variable_set', { key: 'got', value: '${voipbin.call.digits}' }),
  ];

  test('length 0: no length limit, the terminator ends it and is kept', async () => {
    const h = new EngineHarness();
    const id = await h.startCall(receive({ length: 0, key: '#', duration: 10_000 }));
    await waitFor(() => h.clock.pending > 0);
    for (const d of '12345#9') h.calls.pressDigit('call-1', d);
    assert.equal((await h.ended(id)).variables['got'], '12345#');
  });

  test('length 0 without a key ends when duration runs out', async () => {
    const h = new EngineHarness();
    const id = await h.startCall(receive({ length: 0, duration: 2000 }));
    await waitFor(() => h.clock.pending > 0);
    h.calls.pressDigit('call-1', '7');
    h.calls.pressDigit('call-1', '8');
    h.clock.advance(2000);
    assert.equal((await h.ended(id)).variables['got'], '78');
  });
});

describe('condition_datetime "any" values (the harness clock is Monday 2026-01-05 12:00 UTC)', () => {
  async function holds(option: Record<string, unknown>): Promise<boolean> {
    const h = new EngineHarness();
    const id = await h.startApi([
      act(1, 'condition_datetime', { ...option, false_target_id: aid(3) }),
      act(2, 'variable_set', { key: 'r', value: 'true' }, 4),
      act(3, 'variable_set', { key: 'r', value: 'false' }),
      act(4, 'stop'),
    ]);
    return (await h.ended(id)).variables['r'] === 'true';
  }

  test('day and month 0 or -1, hour and minute -1 are not checked', async () => {
    assert.equal(await holds({ condition: '==', hour: 12, minute: -1, day: 0, month: 0 }), true);
    assert.equal(await holds({ condition: '==', hour: 12, minute: 0, day: -1, month: -1 }), true);
    assert.equal(await holds({ condition: '==', hour: -1, minute: -1, day: 5, month: 1 }), true);
    assert.equal(await holds({ condition: '==', hour: -1, minute: -1, day: 0, month: 0, weekdays: [2] }), false);
    assert.equal(await holds({ condition: '==', hour: 13, minute: -1, day: 0, month: 0 }), false);
  });
});

describe('goto without loop_count', () => {
  test("VoIPBIN's default 0: the jump is not taken", async () => {
    const h = new EngineHarness();
    const id = await h.startApi([
      act(1, 'variable_set', { key: 'n', value: '${n}x' }),
      act(2, 'goto', { target_id: aid(1) }),
    ]);
    const af = await h.ended(id);
    assert.equal(af.variables['n'], 'x');
    assert.equal(af.executed_count, 2);
  });
});

describe('fetch request body', () => {
  test("carries the activeflow with VoIPBIN's activeflow_id and reference_id", async () => {
    const h = new EngineHarness();
    const id = await h.startCall([act(1, 'fetch', { event_url: 'https://bot.test/next' })]);
    await h.ended(id);
    const body = h.http.fetched[0]?.body as Record<string, unknown>;
    assert.equal(body['activeflow_id'], id);
    assert.equal(body['reference_id'], 'call-1');
    assert.equal(body['id'], id, 'the activeflow as before');
  });
});
