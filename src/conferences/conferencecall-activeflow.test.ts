import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, NIL_UUID, newId } from '../shared/index.ts';
import { ConferenceService } from './conference-service.ts';
import { FakeConferenceCalls, FakeConferenceMedia, MemoryConferenceStore } from './testing/fake-ports.ts';

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('conferencecall activeflow_id', () => {
  it('is the activeflow that asked for the join, in the stored row and its events; the nil UUID without one', async () => {
    const store = new MemoryConferenceStore();
    const media = new FakeConferenceMedia();
    const calls = new FakeConferenceCalls();
    const service = new ConferenceService({ store, media, calls, clock: new FakeClock() });
    const customerId = newId();
    const conference = await service.create({ customer_id: customerId });
    const activeflowId = newId();
    const byFlow = calls.add(newId(), customerId);
    const byApi = calls.add(newId(), customerId);
    const stop = new AbortController();
    const joins = [
      service.join(byFlow, conference.id, stop.signal, { activeflowId }),
      service.join(byApi, conference.id, stop.signal),
    ];
    await until(() => media.callsIn(conference.id).length === 2, 'both calls in the mix');
    const ids = (await service.get(conference.id))?.conferencecall_ids ?? [];
    const rows = await Promise.all(ids.map((id) => service.getConferencecall(id)));
    const ofCall = (callId: string) => rows.find((cc) => cc?.reference_id === callId);
    assert.equal(ofCall(byFlow)?.activeflow_id, activeflowId);
    assert.equal(ofCall(byApi)?.activeflow_id, NIL_UUID);
    const storedRow = await store.getConferencecall(ofCall(byFlow)?.id ?? '');
    assert.equal(storedRow?.activeflow_id, activeflowId, 'stored');
    const joinedEvent = store.events.find(
      (e) => e.type === 'conferencecall_joined' && 'conferencecall' in e && e.conferencecall.reference_id === byFlow,
    );
    assert.ok(joinedEvent && 'conferencecall' in joinedEvent);
    assert.equal(joinedEvent.conferencecall.activeflow_id, activeflowId, 'the event carries it');
    stop.abort();
    await Promise.allSettled(joins);
  });
});
