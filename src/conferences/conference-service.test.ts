import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, NIL_UUID, newId } from '../shared/index.ts';
import { ConferenceService } from './conference-service.ts';
import { FakeConferenceCalls, FakeConferenceMedia, MemoryConferenceStore } from './testing/fake-ports.ts';

function harness() {
  const store = new MemoryConferenceStore();
  const media = new FakeConferenceMedia();
  const calls = new FakeConferenceCalls();
  const clock = new FakeClock();
  const service = new ConferenceService({ store, media, calls, clock });
  const customerId = newId();
  return { store, media, calls, clock, service, customerId };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail(`timed out waiting for ${what}`);
}

type H = ReturnType<typeof harness>;

/** Starts a join of a new call; the promise settles when the call leaves. */
function joinCall(
  h: H,
  conferenceId: string,
  signal = new AbortController().signal,
): { callId: string; joined: Promise<void> } {
  const callId = h.calls.add(newId(), h.customerId);
  return { callId, joined: h.service.join(callId, conferenceId, signal) };
}

describe('ConferenceService', () => {
  it('create stores a progressing conference with conference_created; validation rejects a bad type and timeout', async () => {
    const h = harness();
    const c = await h.service.create({ customer_id: h.customerId, name: 'room' });
    assert.equal(c.status, 'progressing');
    assert.equal(c.type, 'conference');
    assert.deepEqual(c.conferencecall_ids, []);
    assert.equal(c.pre_flow_id, NIL_UUID);
    assert.deepEqual(h.store.types(c.id), ['conference_created']);
    await assert.rejects(
      h.service.create({ customer_id: h.customerId, timeout: -1 }),
      (err: { details?: { reason: string }[] }) => err.details?.[0]?.reason === 'INVALID_TIMEOUT',
    );
    await assert.rejects(
      h.service.create({ customer_id: h.customerId, type: 'party' }),
      (err: { details?: { reason: string }[] }) => err.details?.[0]?.reason === 'INVALID_CONFERENCE_TYPE',
    );
  });

  it('join puts the call in the mix and waits; kick takes it out, the join resolves and events are in order', async () => {
    const h = harness();
    const c = await h.service.create({ customer_id: h.customerId });
    const a = joinCall(h, c.id);
    let settled = false;
    void a.joined.then(() => (settled = true));
    await until(() => h.media.callsIn(c.id).length === 1, 'the call in the mix');
    const now = await h.service.get(c.id);
    assert.equal(now?.conferencecall_ids.length, 1);
    const ccId = now?.conferencecall_ids[0] ?? '';
    assert.equal((await h.service.getConferencecall(ccId))?.status, 'joined');
    assert.equal(h.calls.conferenceOf.get(a.callId), c.id);
    assert.equal(settled, false, 'the flow waits while the call is in the conference');
    const kicked = await h.service.kick(ccId, { customerId: h.customerId });
    assert.equal(kicked.status, 'leaved');
    await a.joined;
    assert.deepEqual(h.media.callsIn(c.id), []);
    assert.equal(h.calls.conferenceOf.get(a.callId), NIL_UUID);
    assert.deepEqual((await h.service.get(c.id))?.conferencecall_ids, []);
    assert.deepEqual(h.store.types(ccId), ['conferencecall_joined', 'conferencecall_leaved']);
    assert.deepEqual(h.store.types(c.id), ['conference_created', 'conference_updated', 'conference_updated']);
    assert.equal(
      (await h.service.get(c.id))?.status,
      'progressing',
      'a conference-type conference outlives its last participant',
    );
  });

  it('aborting the join (hangup, flow stop) takes the call out and rejects with the reason', async () => {
    const h = harness();
    const c = await h.service.create({ customer_id: h.customerId });
    const ac = new AbortController();
    const a = joinCall(h, c.id, ac.signal);
    await until(() => h.media.callsIn(c.id).length === 1, 'joined');
    ac.abort(new Error('hung up'));
    await assert.rejects(a.joined, /hung up/);
    assert.deepEqual(h.media.callsIn(c.id), []);
  });

  it('mute marks the participant muted in the mix; muting a participant that left is refused', async () => {
    const h = harness();
    const c = await h.service.create({ customer_id: h.customerId });
    const a = joinCall(h, c.id);
    await until(() => h.media.callsIn(c.id).length === 1, 'joined');
    const ccId = (await h.service.get(c.id))?.conferencecall_ids[0] ?? '';
    assert.equal((await h.service.setMuted(ccId, {}, true)).muted, true);
    assert.equal(h.media.rooms.get(c.id)?.get(ccId)?.muted, true);
    assert.equal((await h.service.setMuted(ccId, {}, false)).muted, false);
    await h.service.kick(ccId);
    await a.joined;
    await assert.rejects(h.service.setMuted(ccId, {}, true), { code: 'CONFERENCECALL_NOT_JOINED' });
  });

  it('delete kicks everyone (their joins resolve), terminates and hides the conference', async () => {
    const h = harness();
    const c = await h.service.create({ customer_id: h.customerId });
    const a = joinCall(h, c.id);
    const b = joinCall(h, c.id);
    await until(() => h.media.callsIn(c.id).length === 2, 'both joined');
    const deleted = await h.service.delete(c.id, { customerId: h.customerId });
    await Promise.all([a.joined, b.joined]);
    assert.equal(deleted.status, 'terminated');
    assert.ok(deleted.tm_end);
    assert.deepEqual(h.media.closed, [c.id]);
    assert.equal(await h.service.get(c.id), undefined);
    const types = h.store.types(c.id);
    assert.deepEqual(types.slice(-3), ['conference_updated', 'conference_updated', 'conference_deleted']);
    assert.deepEqual(
      h.store.events
        .filter((e) => e.type === 'conference_updated')
        .map((e) => ('conference' in e ? e.conference.status : ''))
        .slice(-2),
      ['terminating', 'terminated'],
    );
  });

  it('a connect conference ends when the second-to-last party leaves, and the last one leaves with it', async () => {
    const h = harness();
    const c = await h.service.create({ customer_id: h.customerId, type: 'connect' });
    const a = joinCall(h, c.id);
    const b = joinCall(h, c.id);
    const d = joinCall(h, c.id);
    await until(() => h.media.callsIn(c.id).length === 3, 'three joined');
    const [first, second] = (await h.service.get(c.id))?.conferencecall_ids ?? [];
    await h.service.kick(first ?? '');
    assert.equal((await h.service.get(c.id))?.status, 'progressing', 'two parties are still talking');
    await h.service.kick(second ?? '');
    await Promise.all([a.joined, b.joined, d.joined]);
    await until(() => h.store.conferences.get(c.id)?.status === 'terminated', 'the connect conference to end');
    await assert.rejects(joinCall(h, c.id).joined, { code: 'CONFERENCE_NOT_PROGRESSING' });
  });

  it('timeout ends the conference on the injected clock', async () => {
    const h = harness();
    const c = await h.service.create({ customer_id: h.customerId, timeout: 60 });
    const a = joinCall(h, c.id);
    await until(() => h.media.callsIn(c.id).length === 1, 'joined');
    h.clock.advance(59_000);
    assert.equal((await h.service.get(c.id))?.status, 'progressing');
    h.clock.advance(1_000);
    await a.joined;
    await until(() => h.store.conferences.get(c.id)?.status === 'terminated', 'the timeout');
  });

  it("customers are isolated: another customer's call cannot join, and lookups across customers are not found", async () => {
    const h = harness();
    const c = await h.service.create({ customer_id: h.customerId });
    const stranger = h.calls.add(newId(), newId());
    await assert.rejects(h.service.join(stranger, c.id, new AbortController().signal), {
      code: 'CONFERENCE_NOT_FOUND',
    });
    assert.equal(await h.service.get(c.id, { customerId: newId() }), undefined);
    await assert.rejects(h.service.delete(c.id, { customerId: newId() }), { code: 'CONFERENCE_NOT_FOUND' });
    const a = joinCall(h, c.id);
    await until(() => h.media.callsIn(c.id).length === 1, 'joined');
    const ccId = (await h.service.get(c.id))?.conferencecall_ids[0] ?? '';
    await assert.rejects(h.service.kick(ccId, { customerId: newId() }), { code: 'CONFERENCECALL_NOT_FOUND' });
    await h.service.kick(ccId);
    await a.joined;
  });

  it('a join whose media fails leaves a leaved conferencecall and rejects', async () => {
    const h = harness();
    const c = await h.service.create({ customer_id: h.customerId });
    h.media.failJoin = new Error('no leg');
    await assert.rejects(joinCall(h, c.id).joined, /no leg/);
    assert.deepEqual(
      [...h.store.conferencecalls.values()].map((cc) => cc.status),
      ['leaved'],
    );
    assert.deepEqual((await h.service.get(c.id))?.conferencecall_ids, []);
  });

  it('update changes fields with conference_updated; a conference of a restarted process is loaded from the store', async () => {
    const h = harness();
    const c = await h.service.create({ customer_id: h.customerId });
    const updated = await h.service.update(c.id, { customerId: h.customerId }, { name: 'renamed', detail: 'd' });
    assert.equal(updated.name, 'renamed');
    const restarted = new ConferenceService({ store: h.store, media: h.media, calls: h.calls, clock: h.clock });
    const callId = h.calls.add(newId(), h.customerId);
    const joined = restarted.join(callId, c.id, new AbortController().signal);
    await until(() => h.media.callsIn(c.id).length === 1, 'joined after restart');
    await restarted.delete(c.id);
    await joined;
  });
  it('setRecording links the running recording (kept in recording_ids); terminated is emitted once the conference ends', async () => {
    const h = harness();
    const c = await h.service.create({ customer_id: h.customerId });
    const recordingId = newId();
    const recording = await h.service.setRecording(c.id, recordingId);
    assert.equal(recording.recording_id, recordingId);
    assert.deepEqual((await h.service.setRecording(c.id, NIL_UUID)).recording_ids, [recordingId]);
    const ended: string[] = [];
    h.service.on('terminated', (conference) => ended.push(`${conference.id}:${conference.status}`));
    await h.service.terminate(c.id);
    assert.deepEqual(ended, [`${c.id}:terminated`]);
  });
});
