import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connectNatsBus, eventsSubject, type Bus } from '../bus/index.ts';
import { EventHub } from '../events/index.ts';
import { silentLogger } from '../shared/index.ts';
import type { OutboxEvent } from '../store/index.ts';
import { startEventRelay } from './event-relay.ts';

const natsUrl = process.env.CALLBIN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

let position = 0;
function event(customerId: string, resourceId: string, seq: number): OutboxEvent {
  return {
    position: ++position,
    event_id: randomUUID(),
    customer_id: customerId,
    resource_type: 'call',
    resource_id: resourceId,
    seq,
    type: 'call_updated',
    tm_event: new Date().toISOString(),
    data: { id: resourceId, seq },
  };
}

async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('event relay between two nodes over NATS', () => {
  const suffix = randomBytes(4).toString('hex');
  const nodeA = `relay-a-${suffix}`;
  const nodeB = `relay-b-${suffix}`;
  let busA: Bus;
  let busB: Bus;
  const hubA = new EventHub();
  const hubB = new EventHub();
  const stops: (() => void)[] = [];
  before(async () => {
    busA = await connectNatsBus(natsUrl, { name: nodeA });
    busB = await connectNatsBus(natsUrl, { name: nodeB });
    stops.push(startEventRelay({ bus: busA, hub: hubA, nodeId: nodeA, logger: silentLogger }));
    stops.push(startEventRelay({ bus: busB, hub: hubB, nodeId: nodeB, logger: silentLogger }));
    await busA.flush();
    await busB.flush();
  });
  after(async () => {
    for (const stop of stops) stop();
    await busA?.close();
    await busB?.close();
  });

  it("B's stream listener sees each of A's events once, in order; A's own listener sees none twice", async () => {
    // A customer of its own: other test runs may publish on the same server.
    const customer = randomUUID();
    const mine = (e: OutboxEvent): boolean => e.customer_id === customer;
    const seenByA: OutboxEvent[] = [];
    const seenByB: OutboxEvent[] = [];
    hubA.onEvent((e) => mine(e) && seenByA.push(e));
    hubB.onEvent((e) => mine(e) && seenByB.push(e));
    const fromA = Array.from({ length: 50 }, (_, i) => event(customer, 'call-1', i + 1));
    for (const e of fromA) hubA.eventCommitted(e);
    await until(() => seenByB.length >= 50, "A's events on B");
    // A marker from B: once A has it, anything A's own messages could bring back has arrived too.
    const marker = event(customer, 'call-2', 1);
    hubB.eventCommitted(marker);
    await until(() => seenByA.some((e) => e.event_id === marker.event_id), "B's marker on A");
    assert.deepEqual(
      seenByB.map((e) => e.event_id),
      [...fromA.map((e) => e.event_id), marker.event_id],
      'every event of A once, in seq order, then its own',
    );
    assert.deepEqual(seenByB[0], fromA[0], 'the event arrives as committed');
    assert.deepEqual(
      seenByA.map((e) => e.event_id),
      [...fromA.map((e) => e.event_id), marker.event_id],
      "A's listener hears its own events once and B's marker once",
    );
  });

  it('an event relayed to B is not published again (no loop): a third node hears it once', async () => {
    const customer = randomUUID();
    const nodeC = `relay-c-${suffix}`;
    const busC = await connectNatsBus(natsUrl, { name: nodeC });
    const hubC = new EventHub();
    const stopC = startEventRelay({ bus: busC, hub: hubC, nodeId: nodeC, logger: silentLogger });
    try {
      const raw: string[] = [];
      busC.subscribe(eventsSubject(customer), (d) => raw.push(d));
      const seenByC: string[] = [];
      hubC.onEvent((e) => e.customer_id === customer && seenByC.push(e.event_id));
      await busC.flush();
      const e = event(customer, 'call-3', 1);
      hubA.eventCommitted(e);
      const marker = event(customer, 'call-3', 2);
      await until(() => seenByC.length === 1, 'the event on C');
      hubB.eventCommitted(marker);
      await until(() => seenByC.length === 2, 'the marker on C');
      assert.deepEqual(seenByC, [e.event_id, marker.event_id]);
      assert.equal(raw.length, 2, 'one message per event on the subject');
      assert.equal(JSON.parse(raw[0]!).node, nodeA);
    } finally {
      stopC();
      await busC.close();
    }
  });

  it('malformed messages and events under the wrong customer subject are ignored', async () => {
    const customer = randomUUID();
    const seenByB: string[] = [];
    hubB.onEvent((e) => (e.customer_id === customer || e.customer_id === 'other') && seenByB.push(e.event_id));
    busA.publish(eventsSubject(customer), 'not json');
    busA.publish(eventsSubject(customer), JSON.stringify({ node: nodeA, event: { event_id: 'x' } }));
    const foreign = event('other', 'call-4', 1);
    busA.publish(eventsSubject(customer), JSON.stringify({ node: nodeA, event: foreign }));
    const good = event(customer, 'call-4', 1);
    hubA.eventCommitted(good);
    await until(() => seenByB.length >= 1, 'the good event');
    await busB.flush();
    assert.deepEqual(seenByB, [good.event_id]);
  });

  it('after stop, A relays nothing', async () => {
    const customer = randomUUID();
    const seenByB: string[] = [];
    hubB.onEvent((e) => e.customer_id === customer && seenByB.push(e.event_id));
    stops.shift()?.();
    hubA.eventCommitted(event(customer, 'call-5', 1));
    const marker = event(customer, 'call-5', 2);
    // Sent on A's connection after the first: once B has it, the first would have arrived.
    busA.publish(eventsSubject(customer), JSON.stringify({ node: 'someone-else', event: marker }));
    await until(() => seenByB.length >= 1, 'the marker');
    assert.deepEqual(seenByB, [marker.event_id]);
  });
});
