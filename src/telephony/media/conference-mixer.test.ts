import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FRAME_SAMPLES, MediaClock } from '../../media/index.ts';
import type { AudioSource } from '../../media/index.ts';
import { FakeClock } from '../../shared/index.ts';
import { ConferenceMixer, type ConferenceLegMedia } from './conference-mixer.ts';
import type { PlayOutcome } from '../../endpoint/media-endpoint.ts';

/** Legs whose voice is a constant sample value and whose played source the test reads. */
class FakeLegs implements ConferenceLegMedia {
  readonly voice = new Map<string, number>();
  readonly played = new Map<string, { source: AudioSource; signal: AbortSignal | undefined }>();

  legIdForCall(callId: string): string | undefined {
    return this.voice.has(`leg-${callId}`) ? `leg-${callId}` : undefined;
  }

  audioOf(legId: string): AudioSource {
    return { read: (frame) => (frame.fill(this.voice.get(legId) ?? 0), true) };
  }

  playAndWait(legId: string, source: AudioSource | Int16Array, signal?: AbortSignal): Promise<PlayOutcome> {
    assert.ok(!(source instanceof Int16Array));
    this.played.set(legId, { source, signal });
    return new Promise((resolve) => signal?.addEventListener('abort', () => resolve('stopped')));
  }

  /** The first sample the leg is played now. */
  hears(callId: string): number {
    const frame = new Int16Array(FRAME_SAMPLES);
    this.played.get(`leg-${callId}`)?.source.read(frame);
    return frame[0] ?? NaN;
  }
}

function setup() {
  const clock = new FakeClock();
  const mediaClock = new MediaClock({ clock });
  const legs = new FakeLegs();
  const mixer = new ConferenceMixer({ media: legs, mediaClock });
  return { clock, mediaClock, legs, mixer };
}

describe('ConferenceMixer', () => {
  it('each leg is played the sum of the others (N-1), never itself; a muted one is heard by nobody', async () => {
    const { clock, mediaClock, legs, mixer } = setup();
    legs.voice.set('leg-a', 100).set('leg-b', 20).set('leg-c', 3);
    await mixer.join('conf', 'pa', 'a');
    await mixer.join('conf', 'pb', 'b');
    await mixer.join('conf', 'pc', 'c');
    clock.advance(20);
    assert.deepEqual([legs.hears('a'), legs.hears('b'), legs.hears('c')], [23, 103, 120]);
    await mixer.setMuted('conf', 'pa', true);
    clock.advance(20);
    assert.deepEqual([legs.hears('a'), legs.hears('b'), legs.hears('c')], [23, 3, 20]);
    assert.equal(legs.hears('b'), 0, 'a frame is played once; without a new tick the slot is silent');
    mediaClock.close();
  });

  it("leaving stops the leg's conference audio; the last one out drops the mix and its clock listener", async () => {
    const { clock, mediaClock, legs, mixer } = setup();
    legs.voice.set('leg-a', 1).set('leg-b', 2);
    await mixer.join('conf', 'pa', 'a');
    await mixer.join('conf', 'pb', 'b');
    await mixer.leave('conf', 'pa');
    assert.equal(legs.played.get('leg-a')?.signal?.aborted, true);
    clock.advance(20);
    assert.equal(legs.hears('b'), 0, 'alone in the conference: silence');
    await mixer.leave('conf', 'pb');
    assert.equal(mixer.size, 0);
    await assert.rejects(mixer.join('conf', 'px', 'nobody'), { code: 'MEDIA_LEG_NOT_FOUND' });
    mediaClock.close();
  });

  it("close ends every participant's audio; conferences mix separately", async () => {
    const { clock, mediaClock, legs, mixer } = setup();
    legs.voice.set('leg-a', 5).set('leg-b', 7).set('leg-c', 11).set('leg-d', 13);
    await mixer.join('one', 'pa', 'a');
    await mixer.join('one', 'pb', 'b');
    await mixer.join('two', 'pc', 'c');
    await mixer.join('two', 'pd', 'd');
    clock.advance(20);
    assert.deepEqual([legs.hears('a'), legs.hears('c')], [7, 13]);
    await mixer.close('one');
    assert.equal(legs.played.get('leg-b')?.signal?.aborted, true);
    assert.equal(mixer.size, 1);
    mediaClock.close();
  });
});

describe('ConferenceMixer on the media clock', () => {
  it("a leg whose sender ticks before the mix still plays this tick's mix, made once per tick", async () => {
    const { clock, mediaClock, legs, mixer } = setup();
    legs.voice.set('leg-a', 1).set('leg-b', 2);
    const heard: number[] = [];
    // The leg's sender: on the clock before the conference's mix, so it runs first in every tick.
    mediaClock.addListener(() => heard.push(legs.hears('a')));
    await mixer.join('conf', 'pa', 'a');
    await mixer.join('conf', 'pb', 'b');
    clock.advance(20);
    legs.voice.set('leg-b', 4);
    clock.advance(20);
    assert.deepEqual(heard, [2, 4], 'no tick of delay');
    assert.equal(legs.hears('b'), 1, "b's frame of the same mix, then nothing new until the next tick");
    assert.equal(legs.hears('b'), 0);
    mediaClock.close();
  });
});
