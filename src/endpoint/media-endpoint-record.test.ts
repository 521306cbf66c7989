import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MediaClock, decodeMulaw, encodeMulaw, parseWav, serializeRtpPacket } from '../media/index.ts';
import { openTestPeer, testPortAllocator, waitFor, type TestPeer } from '../media/testing/test-peer.ts';
import { sineTone } from '../media/testing/tones.ts';
import { createOffer, formatSdp } from '../sdp/index.ts';
import { FakeClock } from '../shared/index.ts';
import { MediaEndpoint } from './media-endpoint.ts';

const FRAMES = 60;

/**
 * MediaEndpoint.record on a G.711 leg (docs/media.md "Recording"): a UDP phone on loopback sends
 * RTP straight to the leg, the media clock runs on a FakeClock advanced one tick per packet, so
 * where each packet lands in `_in` is known to the sample.
 */
describe('MediaEndpoint.record', () => {
  let dir: string;
  let clock: FakeClock;
  let mediaClock: MediaClock;
  let phone: TestPeer;
  let leg: MediaEndpoint;
  const allocator = testPortAllocator(2);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callbin-leg-record-'));
    clock = new FakeClock();
    mediaClock = new MediaClock({ clock });
    phone = await openTestPeer();
    const offerSdp = formatSdp(
      createOffer({ address: '127.0.0.1', port: phone.port, codecs: ['PCMU'], sessionId: '5', sessionVersion: 0 }),
    );
    ({ endpoint: leg } = await MediaEndpoint.answer({ allocator, address: '127.0.0.1', mediaClock, clock, offerSdp }));
  });

  afterEach(async () => {
    await leg.close();
    mediaClock.close();
    phone.close();
    await rm(dir, { recursive: true, force: true });
    assert.equal(allocator.inUse, 0);
  });

  it('places the leg’s packets in _in by timestamp by default: reordered ones at their places, a lost one silence, a repeat once', async () => {
    // Frame k of a known signal, sent as µ-law; `_in` must hold its decoding at frame k.
    const speech = sineTone(440, FRAMES * 20);
    const payloads: Uint8Array[] = [];
    const want = new Int16Array(speech.length);
    for (let k = 0; k < FRAMES; k++) {
      const payload = new Uint8Array(160);
      encodeMulaw(speech.subarray(k * 160, (k + 1) * 160), payload);
      payloads.push(payload);
      if (k !== 45) decodeMulaw(payload, want.subarray(k * 160, (k + 1) * 160));
    }
    // 20 comes after 21 (one behind), 34 after 35 and 36 (two behind, 40 ms late), 45 is lost, 50 comes twice.
    const arrivals: number[] = [];
    for (let k = 0; k < FRAMES; k++) if (k !== 45) arrivals.push(...(k === 50 ? [k, k] : [k]));
    const moveAfter = (k: number, after: number): void => {
      arrivals.splice(arrivals.indexOf(k), 1);
      arrivals.splice(arrivals.indexOf(after) + 1, 0, k);
    };
    moveAfter(20, 21);
    moveAfter(34, 36);
    assert.equal(arrivals.length, FRAMES);

    const recorder = await leg.record({ basePath: join(dir, 'leg') });
    let received = 0;
    for (const k of arrivals) {
      const packet = serializeRtpPacket({
        payloadType: 0,
        sequenceNumber: 7000 + k,
        timestamp: 90_000 + k * 160,
        ssrc: 3,
        payload: payloads[k] as Uint8Array,
      });
      phone.socket.send(packet, leg.localPort, '127.0.0.1');
      received++;
      await waitFor(() => leg.stats().packets_received >= received);
      clock.advance(20);
    }
    const result = await recorder.stop();
    assert.equal(result.durationSec, FRAMES * 0.02);
    assert.deepEqual(recorder.heardStats, { placed: FRAMES - 1, late: 0, anchors: 1 }, 'each packet placed once');
    const got = parseWav(await readFile(join(dir, 'leg_in.wav'))).samples;
    let diff = -1;
    for (let i = 0; i < want.length && diff < 0; i++) if (got[i] !== want[i]) diff = i;
    assert.equal(diff, -1, `_in differs first at frame ${Math.floor(diff / 160)}`);
    assert.equal(got.length, want.length);
    assert.equal(parseWav(await readFile(join(dir, 'leg_out.wav'))).samples.length, want.length);
  });

  it('a stereo recording takes the tick’s frames: the packets are not listened to', async () => {
    const recorder = await leg.record({ basePath: join(dir, 'st'), format: 'stereo' });
    assert.equal(recorder.heardStats, undefined);
    await recorder.stop();
  });
});
