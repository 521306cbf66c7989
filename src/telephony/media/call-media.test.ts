import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MediaClock } from '../../media/index.ts';
import type { AudioSource, TtsEngine } from '../../media/index.ts';
import { ValidationError, hasCode } from '../../shared/index.ts';
import { randomPortAllocator } from '../../../test/support/media-call.ts';
import { CallMedia } from './call-media.ts';
import { LegOutput } from '../../endpoint/leg-output.ts';
import { MediaEndpoint } from '../../endpoint/media-endpoint.ts';

/** A source that yields `frames` frames of constant `value`. */
function constant(value: number, frames = Infinity): AudioSource {
  let left = frames;
  return {
    read: (frame) => {
      if (left <= 0) return false;
      left -= 1;
      frame.fill(value);
      return true;
    },
  };
}

function readOne(output: LegOutput): number {
  const frame = new Int16Array(160);
  assert.equal(output.read(frame), true, 'a leg output never ends');
  return frame[0] ?? NaN;
}

describe('LegOutput: what a leg hears, frame by frame', () => {
  it('prompt over hold music over the bridged peer over silence; silence mutes all', async () => {
    const output = new LegOutput();
    assert.equal(readOne(output), 0);
    output.peer = constant(1);
    assert.equal(readOne(output), 1);
    output.musicOnHold = constant(2);
    assert.equal(readOne(output), 2);
    const played = output.play(constant(3, 2));
    assert.equal(readOne(output), 3);
    assert.equal(readOne(output), 3);
    assert.equal(readOne(output), 2, 'back to the background once the prompt ran out');
    assert.equal(await played, 'ended');
    output.silence = true;
    assert.equal(readOne(output), 0);
  });

  it('stop, abort and a newer prompt end a prompt as stopped', async () => {
    const output = new LegOutput();
    const first = output.play(constant(5));
    const second = output.play(constant(6));
    assert.equal(await first, 'stopped');
    const controller = new AbortController();
    const third = output.play(constant(7), controller.signal);
    assert.equal(await second, 'stopped');
    controller.abort();
    assert.equal(await third, 'stopped');
    assert.equal(output.playing, false);
  });
});

describe('CallMedia', () => {
  const allocator = randomPortAllocator(6);
  const mediaClock = new MediaClock();
  const options = { allocator, address: '127.0.0.1', mediaClock };
  const spoken: string[] = [];
  const tts: TtsEngine = {
    synthesize: async (req) => (
      spoken.push(`${req.language}/${req.gender}:${req.text}`), new Int16Array(160).fill(900)
    ),
    voices: () => [],
  };
  const media = new CallMedia({ tts });

  after(async () => {
    await media.close();
    mediaClock.close();
    assert.equal(allocator.inUse, 0);
  });

  async function leg(id: string, callId?: string): Promise<MediaEndpoint> {
    const { endpoint } = await MediaEndpoint.offer(options);
    media.register(id, endpoint, callId);
    return endpoint;
  }

  it('registers legs by id and call, speaks with the TTS engine, and releases (closing the endpoint)', async () => {
    const endpoint = await leg('leg-a', 'call-a');
    assert.equal(media.legIdForCall('call-a'), 'leg-a');
    assert.equal(await media.talkAndWait('leg-a', { text: 'hello', language: 'en-US', gender: 'male' }), 'ended');
    assert.deepEqual(spoken, ['en-US/male:hello']);
    await media.release('leg-a');
    assert.equal(endpoint.closed, true);
    assert.equal(media.legIdForCall('call-a'), undefined);
    await assert.rejects(media.stop('leg-a'), (err) => hasCode(err, 'MEDIA_LEG_NOT_FOUND'));
  });

  it('bridges two legs and unbridges when one is released', async () => {
    await leg('leg-b');
    await leg('leg-c');
    await assert.rejects(media.bridge('leg-b', 'leg-b'), (err) => hasCode(err, 'MEDIA_BRIDGE_SELF'));
    await media.bridge('leg-b', 'leg-c');
    await media.setMute('leg-b', 'out');
    await media.setMusicOnHold('leg-c', true);
    await media.setSilence('leg-c', true);
    await media.release('leg-c');
    await media.unbridge('leg-b', 'leg-c');
    await media.release('leg-b');
    assert.equal(media.size, 0);
  });
});

describe('CallMedia play: one request holds a bounded amount of audio', () => {
  const allocator = randomPortAllocator(2);
  const mediaClock = new MediaClock();
  let inFlight = 0;
  let mostInFlight = 0;
  const loaded: string[] = [];
  // Each URL names its length in minutes; the loader stands for a download + decode of that length.
  const media = new CallMedia({
    loadAudio: async (url) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight -= 1;
      loaded.push(url);
      return new Int16Array(8000 * 60 * Number(new URL(url).searchParams.get('min')));
    },
  });

  after(async () => {
    await media.close();
    mediaClock.close();
  });

  it('refuses media longer than an hour in all with MEDIA_TOO_LARGE on the field, loading at most 4 at once', async () => {
    const { endpoint } = await MediaEndpoint.offer({ allocator, address: '127.0.0.1', mediaClock });
    media.register('leg-p', endpoint);
    const urls = Array.from({ length: 100 }, (_, i) => `http://media.example/${i}.wav?min=10`);
    await assert.rejects(
      media.play('leg-p', urls),
      (err: unknown) =>
        err instanceof ValidationError &&
        err.details[0]?.field === 'media_urls' &&
        err.details[0]?.reason === 'MEDIA_TOO_LARGE',
    );
    assert.ok(mostInFlight <= 4, `${mostInFlight} downloads at once`);
    assert.ok(loaded.length <= 8, `${loaded.length} of 100 loaded before the budget ran out`);
    await media.play('leg-p', ['http://media.example/a.wav?min=30', 'http://media.example/b.wav?min=30']);
    await media.release('leg-p');
  });
});
