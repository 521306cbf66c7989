import { InvalidStateError, NIL_UUID } from '../shared/index.ts';
import { answerIncoming } from './incoming-call.ts';
import type { LiveCall } from './live-call.ts';
import { addMute, removeMute } from './mute-direction.ts';
import type { MuteRequestDirection } from './mute-direction.ts';
import type { DigitsRequest, RecordingOptions, TalkRequest } from './ports.ts';

/*
 * Live controls (docs/calls.md "Live control endpoints"). Each runs on the call's queue; media controls
 * need `progressing` (409 CALL_STATE_INVALID), and every control on a hung-up call is 409
 * CALL_ALREADY_HANGUP. Hold, mute and recording are independent and combine.
 */

/**
 * Puts the call on hold (`on`) or takes it off; music plays to a held call while `moh` is on. The
 * leg hears silence or music at once; the re-INVITE telling the far end runs in the background
 * (hold-signal.ts), so a far end that never answers it cannot hold the request or the call's queue.
 */
export async function setHold(live: LiveCall, on: boolean, mohUrl?: string): Promise<void> {
  live.requireProgressing(on ? 'hold' : 'unhold');
  if (on && mohUrl !== undefined) await changeMohUrl(live, mohUrl);
  if (live.call.hold === on) return;
  const leg = live.requireLeg();
  await live.rt.media.setHold(leg.leg_id, on);
  if (live.moh) await live.rt.media.setMusicOnHold(leg.leg_id, on, live.mohUrl);
  await live.update({ hold: on });
  live.signalHold(leg, on);
}

/** Turns music on hold on or off; it is heard while the call is held. */
export async function setMusicOnHold(live: LiveCall, on: boolean, mohUrl?: string): Promise<void> {
  live.requireProgressing('moh');
  if (on && mohUrl !== undefined) await changeMohUrl(live, mohUrl);
  if (live.moh === on) return;
  if (live.call.hold) await live.rt.media.setMusicOnHold(live.requireLeg().leg_id, on, live.mohUrl);
  live.recordMedia('moh', on);
}

/** The call's own `moh_url` (docs/calls.md "Music on hold"); music already playing switches to it. */
async function changeMohUrl(live: LiveCall, mohUrl: string): Promise<void> {
  if (live.mohUrl === mohUrl) return;
  live.mohUrl = mohUrl;
  if (live.call.hold && live.moh) await live.rt.media.setMusicOnHold(live.requireLeg().leg_id, true, mohUrl);
}

/** Mutes (`on`) or unmutes one direction, combining with the current state (`both` minus `in` = `out`). */
export async function setMute(live: LiveCall, direction: MuteRequestDirection, on: boolean): Promise<void> {
  live.requireProgressing(on ? 'mute' : 'unmute');
  const current = live.call.mute_direction;
  const next = on ? addMute(current, direction) : removeMute(current, direction);
  if (next === current) return;
  await live.rt.media.setMute(live.requireLeg().leg_id, next);
  await live.update({ mute_direction: next });
}

/** Sends silence instead of any media to the call while on. */
export async function setSilence(live: LiveCall, on: boolean): Promise<void> {
  live.requireProgressing('silence');
  if (live.silence === on) return;
  await live.rt.media.setSilence(live.requireLeg().leg_id, on);
  live.recordMedia('silence', on);
}

/** Speaks text into the call, answering an unanswered incoming call first (docs/calls.md `talk`). */
export async function talk(live: LiveCall, request: TalkRequest): Promise<void> {
  live.requireLive();
  if (live.call.direction === 'incoming' && live.call.status === 'ringing') await answerIncoming(live);
  live.requireProgressing('talk');
  await live.rt.media.talk(live.requireLeg().leg_id, request);
}

/** Plays audio files into the call. */
export async function play(live: LiveCall, mediaUrls: readonly string[]): Promise<void> {
  live.requireProgressing('play');
  await live.rt.media.play(live.requireLeg().leg_id, mediaUrls);
}

/** Stops what `talk`/`play` is playing. */
export async function stopMedia(live: LiveCall): Promise<void> {
  live.requireProgressing('media_stop');
  await live.rt.media.stop(live.requireLeg().leg_id);
}

/** Sends DTMF to the endpoint (RFC 4733). */
export async function sendDigits(live: LiveCall, request: DigitsRequest): Promise<void> {
  live.requireProgressing('digits');
  await live.rt.media.sendDigits(live.requireLeg().leg_id, request);
}

/** Starts a recording: sets `recording_id` and appends it to `recording_ids`; 409 when one is active. */
export async function startRecording(live: LiveCall, options: RecordingOptions): Promise<string> {
  live.requireProgressing('recording_start');
  if (live.call.recording_id !== NIL_UUID) {
    throw new InvalidStateError(
      `call ${live.id} is already recording (${live.call.recording_id})`,
      'RECORDING_ALREADY_ACTIVE',
    );
  }
  const { call } = live;
  const { recording_id: recordingId } = await live.rt.recorder.start({
    call_id: call.id,
    customer_id: call.customer_id,
    leg_id: live.requireLeg().leg_id,
    options,
  });
  await live.update({ recording_id: recordingId, recording_ids: [...call.recording_ids, recordingId] });
  return recordingId;
}

/** Stops the active recording; `recording_id` goes back to nil. 409 `RECORDING_NOT_ACTIVE` when none runs. */
export async function stopRecording(live: LiveCall): Promise<void> {
  live.requireLive();
  const recordingId = live.call.recording_id;
  if (recordingId === NIL_UUID)
    throw new InvalidStateError(`call ${live.id} has no active recording`, 'RECORDING_NOT_ACTIVE');
  await live.rt.recorder.stop(recordingId);
  await live.update({ recording_id: NIL_UUID });
}

/** A recording ended by itself (duration, silence, key): clear `recording_id` if it is still that one. */
export async function onRecordingEnded(live: LiveCall, recordingId: string): Promise<void> {
  if (live.call.status === 'hangup' || live.call.recording_id !== recordingId) return;
  await live.update({ recording_id: NIL_UUID });
}
