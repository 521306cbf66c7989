import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DtmfReceived } from '../../calls/index.ts';
import { FakeClock } from '../../shared/index.ts';
import { CallDtmfEvents } from './call-dtmf-events.ts';

function harness(customerOf: (callId: string) => Promise<string | undefined> = async () => 'cust-1') {
  const clock = new FakeClock(Date.UTC(2026, 0, 5, 12, 0));
  const written: DtmfReceived[] = [];
  const events = new CallDtmfEvents({
    customerOf,
    publish: async (e) => void written.push(e),
    clock,
  });
  return { clock, written, events };
}

test('dtmf_received: one event per digit, in arrival order, with the call, digit, duration and arrival time', async () => {
  let slow = true;
  // The first lookup is the slowest: the events must still be written in arrival order.
  const h = harness(async () => {
    if (slow) {
      slow = false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return 'cust-1';
  });
  h.events.received('call-1', { digit: '1', durationMs: 100 });
  h.clock.advance(250);
  h.events.received('call-1', { digit: '#', durationMs: 280.4 });
  await h.events.whenIdle();
  assert.deepEqual(
    h.written.map(({ id: _id, ...rest }) => rest),
    [
      { customer_id: 'cust-1', call_id: 'call-1', digit: '1', duration: 100, tm_create: '2026-01-05T12:00:00.000Z' },
      { customer_id: 'cust-1', call_id: 'call-1', digit: '#', duration: 280, tm_create: '2026-01-05T12:00:00.250Z' },
    ],
  );
  assert.notEqual(h.written[0]?.id, h.written[1]?.id, 'a new id per digit');
});

test('dtmf_received: at most 20 a second per call; the rest are counted and dropped; other calls are not affected', async () => {
  const h = harness();
  for (let i = 0; i < 35; i++) h.events.received('flood', { digit: '1', durationMs: 40 });
  h.events.received('quiet', { digit: '5', durationMs: 100 });
  await h.events.whenIdle();
  assert.equal(h.written.filter((e) => e.call_id === 'flood').length, 20, 'a burst takes the whole budget');
  assert.equal(h.written.filter((e) => e.call_id === 'quiet').length, 1);
  assert.equal(h.events.dropped, 15);
  h.clock.advance(500);
  for (let i = 0; i < 20; i++) h.events.received('flood', { digit: '1', durationMs: 40 });
  await h.events.whenIdle();
  assert.equal(h.written.filter((e) => e.call_id === 'flood').length, 30, 'half a second refills 10');
  assert.equal(h.events.dropped, 25);
  h.events.forget('flood');
  h.events.received('flood', { digit: '2', durationMs: 40 });
  await h.events.whenIdle();
  assert.equal(h.written.filter((e) => e.call_id === 'flood').length, 31);
});

test('dtmf_received: an unknown call writes nothing; a failed write is logged and the next digit is still written', async () => {
  const unknown = harness(async () => undefined);
  unknown.events.received('gone', { digit: '1', durationMs: 100 });
  await unknown.events.whenIdle();
  assert.deepEqual(unknown.written, []);

  const clock = new FakeClock();
  const written: string[] = [];
  const errors: string[] = [];
  let first = true;
  const events = new CallDtmfEvents({
    customerOf: async () => 'cust-1',
    publish: async (e) => {
      if (first) {
        first = false;
        throw new Error('disk full');
      }
      written.push(e.digit);
    },
    clock,
    logger: {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (_o, msg) => void errors.push(String(msg)),
      child() {
        return this;
      },
    },
  });
  events.received('call-1', { digit: '1', durationMs: 100 });
  events.received('call-1', { digit: '2', durationMs: 100 });
  await events.whenIdle();
  assert.deepEqual(written, ['2']);
  assert.deepEqual(errors, ['a dtmf_received event could not be written']);
});
