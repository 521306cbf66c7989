import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { NIL_UUID } from '../shared/index.ts';
import type { CallService } from './call-service.ts';
import { makeHarness } from './testing/fake-ports.ts';
import { acceptOne, answerOutgoing, current, dialOne, useRoutes } from './testing/call-fixtures.ts';
import type { Harness } from './testing/call-fixtures.ts';

async function answeredCall(h: Harness) {
  useRoutes(h, 1);
  const call = await dialOne(h);
  await answerOutgoing(h, call.id);
  return { call, legId: h.signaling.last(call.id).leg_id };
}

const MEDIA_CONTROLS: [string, (s: CallService, id: string) => Promise<unknown>][] = [
  ['hold', (s, id) => s.setHold(id, true)],
  ['unhold', (s, id) => s.setHold(id, false)],
  ['moh', (s, id) => s.setMusicOnHold(id, true)],
  ['mute', (s, id) => s.setMute(id, 'in', true)],
  ['unmute', (s, id) => s.setMute(id, 'in', false)],
  ['silence', (s, id) => s.setSilence(id, true)],
  ['play', (s, id) => s.play(id, ['https://example.com/a.wav'])],
  ['media_stop', (s, id) => s.stopMedia(id)],
  ['digits', (s, id) => s.sendDigits(id, { digits: '123' })],
  ['recording_start', (s, id) => s.startRecording(id, { format: 'wav' })],
];

describe('live control preconditions', () => {
  for (const [name, control] of MEDIA_CONTROLS) {
    it(`${name} on an unanswered call is 409 CALL_STATE_INVALID`, async () => {
      const h = makeHarness();
      useRoutes(h, 1);
      const call = await dialOne(h);
      await assert.rejects(control(h.service, call.id), { code: 'CALL_STATE_INVALID' });
    });
    it(`${name} on a hung-up call is 409 CALL_ALREADY_HANGUP`, async () => {
      const h = makeHarness();
      const { call } = await answeredCall(h);
      await h.service.hangup(call.id);
      await assert.rejects(control(h.service, call.id), { code: 'CALL_ALREADY_HANGUP' });
    });
  }
  it('hangup, redirect and answer on a hung-up call are 409 CALL_ALREADY_HANGUP', async () => {
    const h = makeHarness();
    const { call } = await answeredCall(h);
    await h.service.hangup(call.id);
    await assert.rejects(h.service.hangup(call.id), { code: 'CALL_ALREADY_HANGUP' });
    await assert.rejects(h.service.redirect(call.id, { actions: [] }), { code: 'CALL_ALREADY_HANGUP' });
    await assert.rejects(h.service.answer(call.id), { code: 'CALL_ALREADY_HANGUP' });
  });
  it('a control queued behind a hangup finds the call hung up and changes nothing after call_hangup', async () => {
    const h = makeHarness();
    const { call } = await answeredCall(h);
    const hangup = h.service.hangup(call.id);
    const mute = h.service.setMute(call.id, 'in', true);
    await hangup;
    await assert.rejects(mute, { code: 'CALL_ALREADY_HANGUP' });
    assert.equal(h.store.eventsOf(call.id).at(-1), 'call_hangup');
  });
  it('an unknown call is 404 CALL_NOT_FOUND', async () => {
    const h = makeHarness();
    await assert.rejects(h.service.setHold('f0000000-0000-4000-8000-000000000000', true), { code: 'CALL_NOT_FOUND' });
  });
  it('an outgoing call cannot be answered', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const call = await dialOne(h);
    await assert.rejects(h.service.answer(call.id), { code: 'CALL_STATE_INVALID' });
  });
});

describe('live controls', () => {
  it('hold re-INVITEs and sets hold; music plays to a held call only while moh is on', async () => {
    const h = makeHarness();
    const { call, legId } = await answeredCall(h);
    await h.service.setMusicOnHold(call.id, true);
    assert.deepEqual(h.media.log, []);
    assert.equal((await h.service.setHold(call.id, true)).hold, true);
    assert.deepEqual(h.media.log, [`held ${legId} true`, `moh ${legId} true`]);
    await h.service.whenIdle();
    await h.service.setMusicOnHold(call.id, false);
    assert.equal((await h.service.setHold(call.id, false)).hold, false);
    assert.deepEqual(h.media.log, [
      `held ${legId} true`,
      `moh ${legId} true`,
      `moh ${legId} false`,
      `held ${legId} false`,
    ]);
    await h.service.whenIdle();
    assert.deepEqual(h.signaling.last(call.id).log, ['hold', 'unhold']);
    assert.equal(h.store.eventsOf(call.id).filter((e) => e === 'call_updated(progressing)').length, 3);
  });

  it('mute combines directions and DELETE subtracts one (both minus in = out)', async () => {
    const h = makeHarness();
    const { call, legId } = await answeredCall(h);
    assert.equal((await h.service.setMute(call.id, 'in', true)).mute_direction, 'in');
    assert.equal((await h.service.setMute(call.id, 'out', true)).mute_direction, 'both');
    assert.equal((await h.service.setMute(call.id, 'in', false)).mute_direction, 'out');
    assert.equal((await h.service.setMute(call.id, 'both', false)).mute_direction, '');
    assert.deepEqual(h.media.log, [`mute ${legId} in`, `mute ${legId} both`, `mute ${legId} out`, `mute ${legId} `]);
  });

  it('hold, mute and recording combine independently', async () => {
    const h = makeHarness();
    const { call } = await answeredCall(h);
    await h.service.setHold(call.id, true);
    await h.service.setMute(call.id, 'both', true);
    const now = await h.service.startRecording(call.id, { format: 'wav' });
    assert.deepEqual([now.hold, now.mute_direction, now.recording_id !== NIL_UUID], [true, 'both', true]);
  });

  it('recording bookkeeping: recording_id while active, recording_ids appended, 409 when one is active', async () => {
    const h = makeHarness();
    const { call } = await answeredCall(h);
    const first = await h.service.startRecording(call.id, { format: 'wav' });
    assert.equal(first.recording_id, h.recorder.started[0]);
    await assert.rejects(h.service.startRecording(call.id, { format: 'wav' }), { code: 'RECORDING_ALREADY_ACTIVE' });
    const stopped = await h.service.stopRecording(call.id);
    assert.equal(stopped.recording_id, NIL_UUID);
    await assert.rejects(h.service.stopRecording(call.id), { code: 'RECORDING_NOT_ACTIVE' });
    const second = await h.service.startRecording(call.id, { format: 'wav' });
    assert.deepEqual(second.recording_ids, h.recorder.started);
    assert.equal(second.recording_ids.length, 2);
    await h.service.recordingEnded(call.id, second.recording_id);
    assert.equal((await current(h, call.id)).recording_id, NIL_UUID);
  });

  it('a recording still running at hangup is stopped and recording_id cleared', async () => {
    const h = makeHarness();
    const { call } = await answeredCall(h);
    const rec = await h.service.startRecording(call.id, { format: 'wav' });
    const ended = await h.service.hangup(call.id);
    await h.service.whenIdle();
    assert.equal(ended.recording_id, NIL_UUID);
    assert.deepEqual(ended.recording_ids, [rec.recording_id]);
    assert.deepEqual(h.recorder.stopped, [rec.recording_id]);
  });

  it('talk answers an unanswered incoming call first', async () => {
    const h = makeHarness();
    const { call, leg } = await acceptOne(h);
    const after = await h.service.talk(call.id, { text: 'hello', language: 'en-US' });
    assert.equal(after.status, 'progressing');
    assert.deepEqual(leg.log, ['180', '200']);
    assert.deepEqual(h.media.log, [`talk ${leg.leg_id} hello`]);
  });

  it('play, media_stop, digits and silence reach the media port on the call leg', async () => {
    const h = makeHarness();
    const { call, legId } = await answeredCall(h);
    await h.service.play(call.id, ['https://example.com/a.wav']);
    await h.service.stopMedia(call.id);
    await h.service.sendDigits(call.id, { digits: '12#' });
    await h.service.setSilence(call.id, true);
    assert.deepEqual(h.media.log, [
      `play ${legId} https://example.com/a.wav`,
      `stop ${legId}`,
      `digits ${legId} 12#`,
      `silence ${legId} true`,
    ]);
  });

  it('setAction and setConference update the call with call_updated', async () => {
    const h = makeHarness();
    const { call } = await answeredCall(h);
    const action = {
      id: 'a0000000-0000-4000-8000-000000000001',
      next_id: NIL_UUID,
      type: 'talk',
      option: { text: 'hi' },
      tm_execute: '2026-01-01T00:00:00.000Z',
    };
    assert.deepEqual((await h.service.setAction(call.id, action)).action, action);
    const conferenceId = 'cf000000-0000-4000-8000-000000000001';
    assert.equal((await h.service.setConference(call.id, conferenceId)).conference_id, conferenceId);
  });
});
