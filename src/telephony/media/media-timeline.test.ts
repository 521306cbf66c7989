import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MediaClock } from '../../media/index.ts';
import type { TtsEngine } from '../../media/index.ts';
import { systemClock } from '../../shared/index.ts';
import { noTimeline } from '../../timeline/index.ts';
import type { NewTimelineEntry, TimelineRecorder } from '../../timeline/index.ts';
import { randomPortAllocator } from '../../../test/support/media-call.ts';
import { MediaEndpoint } from '../../endpoint/media-endpoint.ts';
import { CallMedia } from './call-media.ts';
import { MediaTimeline } from './media-timeline.ts';

class ListRecorder implements TimelineRecorder {
  readonly enabled = true;
  readonly entries: NewTimelineEntry[] = [];
  record(entry: NewTimelineEntry): void {
    this.entries.push(entry);
  }
}

const tts: TtsEngine = { synthesize: async () => new Int16Array(320).fill(900), voices: () => [] };
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The media entries of one call as `event[:phase]@leg` strings, in order. */
function trail(recorder: ListRecorder, callId: string): string[] {
  return recorder.entries
    .filter((e) => e.call_id === callId && e.kind === 'media')
    .map((e) => {
      const d = e.data ?? {};
      return `${String(d.event)}${d.phase ? `:${String(d.phase)}` : ''}@${String(d.leg_id)}`;
    });
}

describe('MediaTimeline over CallMedia', () => {
  const allocator = randomPortAllocator(4);
  const mediaClock = new MediaClock();
  const options = { allocator, address: '127.0.0.1', mediaClock };
  const recorder = new ListRecorder();
  const lookups: string[] = [];
  const timeline = new MediaTimeline({
    recorder,
    clock: systemClock,
    customerOf: async (callId) => {
      lookups.push(callId);
      return callId === 'call-unknown' ? undefined : `customer-of-${callId}`;
    },
  });
  const media = new CallMedia({ tts, timeline });

  after(async () => {
    await media.close();
    mediaClock.close();
    assert.equal(allocator.inUse, 0);
  });

  it('records prompts, digits both ways, mute, hold and the bridge path on each leg’s call and customer', async () => {
    // Two legs that talk RTP to each other: A (an outgoing leg of call-a) and B (an incoming leg, bound later).
    const offered = await MediaEndpoint.offer(options);
    const answered = await MediaEndpoint.answer({ ...options, offerSdp: offered.offerSdp });
    offered.endpoint.applyAnswer(answered.answerSdp);
    media.register('leg-a', offered.endpoint, 'call-a');
    media.register('leg-b', answered.endpoint);

    assert.equal(await media.talkAndWait('leg-a', { text: 'hi', language: 'en-US' }), 'ended');
    const heard = new Promise<void>((resolve) => {
      const off = answered.endpoint.on('dtmf', () => {
        off();
        resolve();
      });
    });
    await media.sendDigits('leg-a', { digits: '5', durationMs: 100, intervalMs: 100 });
    await heard;
    await media.setMute('leg-a', 'out');
    await media.setMute('leg-a', '');
    await media.setHold('leg-a', true);
    await media.setHold('leg-a', false);
    await settle();
    assert.deepEqual(trail(recorder, 'call-b'), [], 'an unbound leg records nothing yet');
    media.bindCall('leg-b', 'call-b');
    await media.bridge('leg-a', 'leg-b');
    await media.unbridge('leg-a', 'leg-b');
    await media.unbridge('leg-a', 'leg-b');
    await settle();

    assert.deepEqual(trail(recorder, 'call-a'), [
      'talk:start@leg-a',
      'talk:end@leg-a',
      'dtmf_out@leg-a',
      'mute@leg-a',
      'unmute@leg-a',
      'hold@leg-a',
      'unhold@leg-a',
      'bridge@leg-a',
      'unbridge@leg-a',
    ]);
    assert.deepEqual(trail(recorder, 'call-b'), ['dtmf_in@leg-b', 'bridge@leg-b', 'unbridge@leg-b']);
    const byEvent = (callId: string, event: string) =>
      recorder.entries.find((e) => e.call_id === callId && e.data?.event === event);
    assert.equal(byEvent('call-b', 'dtmf_in')?.data?.digit, '5');
    assert.equal(byEvent('call-b', 'dtmf_in')?.summary, 'dtmf_in 5');
    assert.equal(byEvent('call-a', 'dtmf_out')?.data?.digits, '5');
    assert.equal(byEvent('call-a', 'talk')?.data?.language, 'en-US');
    assert.equal(byEvent('call-a', 'mute')?.data?.direction, 'out');
    assert.equal(byEvent('call-a', 'bridge')?.data?.path, 'relay', 'two PCMU legs hearing each other are relayed');
    assert.equal(byEvent('call-a', 'bridge')?.data?.peer_leg_id, 'leg-b');
    assert.ok(recorder.entries.every((e) => e.customer_id === `customer-of-${e.call_id}`));
    assert.deepEqual(lookups.sort(), ['call-a', 'call-b'], 'one customer lookup per call');
  });

  it('recordings and media streams; nothing for a call whose customer is unknown', async () => {
    timeline.recordingStarted('leg-r', { id: 'rec-1', call_id: 'call-r', customer_id: 'cust-r' });
    timeline.stream('leg-r', 'stream_start', { id: 'st-1', external_host: 'bot.example', stop_reason: '' });
    timeline.stream('leg-r', 'stream_stop', { id: 'st-1', external_host: 'bot.example', stop_reason: 'hangup' });
    timeline.recordingStopped('rec-1');
    timeline.recordingStopped('rec-1');
    timeline.bindLeg('leg-u', 'call-unknown');
    timeline.media('leg-u', 'hold');
    await settle();
    assert.deepEqual(trail(recorder, 'call-r'), [
      'recording_start@leg-r',
      'stream_start@leg-r',
      'stream_stop@leg-r',
      'recording_stop@leg-r',
    ]);
    assert.ok(!lookups.includes('call-r'), 'the recording told the customer');
    assert.ok(recorder.entries.filter((e) => e.call_id === 'call-r').every((e) => e.customer_id === 'cust-r'));
    assert.deepEqual(trail(recorder, 'call-unknown'), []);
  });

  it('with the timeline off nothing is recorded and no digit listener is added', async () => {
    const off = new MediaTimeline({ recorder: noTimeline, clock: systemClock, customerOf: async () => 'c' });
    let listeners = 0;
    off.watchDigits('leg-x', {
      on: () => {
        listeners++;
        return () => {};
      },
    });
    off.bindLeg('leg-x', 'call-x');
    off.media('leg-x', 'hold');
    const outcome = Promise.resolve('ended');
    assert.equal(off.playback('leg-x', 'talk', {}, outcome), outcome);
    assert.equal(listeners, 0);
  });
});
