import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, NIL_UUID, newId } from '../shared/index.ts';
import { ConferenceService } from './conference-service.ts';
import type { Conference } from './conference.ts';
import { FakeConferenceCalls, FakeConferenceMedia, MemoryConferenceStore } from './testing/fake-ports.ts';

/** Two services over one store, as two nodes share one database: `a` holds the rooms, `b` survives it. */
function twoNodes() {
  const store = new MemoryConferenceStore();
  const clock = new FakeClock(Date.UTC(2026, 3, 1, 9, 0, 0));
  const node = () => {
    const calls = new FakeConferenceCalls();
    return { calls, service: new ConferenceService({ store, media: new FakeConferenceMedia(), calls, clock }) };
  };
  return { store, clock, a: node(), b: node(), customerId: newId() };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(check());
}

describe('ConferenceService.reconcile: the rooms of a dead node end', () => {
  it("ends the dead node's rooms as a room closes (members leave, then terminated) at its last beat; other rooms stay", async () => {
    const h = twoNodes();
    h.store.nodeId = 'node-a';
    const room = await h.a.service.create({ customer_id: h.customerId, name: 'a room' });
    const callId = h.a.calls.add(newId(), h.customerId);
    void h.a.service.join(callId, room.id, new AbortController().signal);
    await until(() => (h.store.conferences.get(room.id)?.conferencecall_ids.length ?? 0) === 1);
    const ccId = h.store.conferences.get(room.id)?.conferencecall_ids[0] ?? '';
    h.store.nodeId = 'node-b';
    const other = await h.b.service.create({ customer_id: h.customerId, name: 'b room' });
    const lastBeat = h.clock.now() + 2_000;
    h.clock.advance(12_000);
    const terminated: Conference[] = [];
    h.b.service.on('terminated', (c) => terminated.push(c));

    const ended = await h.b.service.reconcile({ nodeId: 'node-a', atMs: lastBeat });

    assert.deepEqual(
      ended.map((c) => c.id),
      [room.id],
    );
    const stored = await h.store.getConference(room.id);
    assert.equal(stored?.status, 'terminated');
    assert.deepEqual(stored?.conferencecall_ids, []);
    assert.equal(stored?.tm_end, new Date(lastBeat).toISOString());
    assert.equal((await h.store.getConferencecall(ccId))?.status, 'leaved');
    assert.deepEqual(h.store.types(room.id).slice(1), [
      'conference_updated',
      'conference_updated',
      'conference_updated',
      'conference_updated',
    ]);
    assert.deepEqual(h.store.types(ccId), ['conferencecall_joined', 'conferencecall_leaved']);
    assert.equal(h.b.calls.conferenceOf.get(callId), NIL_UUID, 'the member call is told it left');
    assert.deepEqual(
      terminated.map((c) => c.id),
      [room.id],
    );
    assert.equal((await h.store.getConference(other.id))?.status, 'progressing', "the survivor's own room stays");
    assert.deepEqual(await h.b.service.reconcile({ nodeId: 'node-a', atMs: lastBeat }), [], 'nothing twice');
  });
});
