import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/index.ts';
import { MediaClock } from '../clock/index.ts';
import { OpusCodec, PCMU } from '../codecs/index.ts';
import { Mixer } from '../mixer/index.ts';
import { PcmSource } from '../player/index.ts';
import { RtpSession, readPayloadType, readTimestamp } from '../rtp/index.ts';
import { testPortAllocator, waitFor } from '../testing/test-peer.ts';
import { goertzelPower, sineTone } from '../testing/tones.ts';
import { AudioReceiver, AudioSender, type AudioSink } from './index.ts';

/** The two ends of one Opus stream on loopback, each the other's remote, on the payload type their SDP agreed (111). */
async function opusPair(clock: FakeClock) {
  const ports = testPortAllocator(2);
  const codecA = new OpusCodec(111);
  const codecB = new OpusCodec(111);
  const a = await RtpSession.open({ ports, codec: codecA, clock });
  const b = await RtpSession.open({ ports, codec: codecB, clock, remote: { address: '127.0.0.1', port: a.localPort } });
  a.setRemote({ address: '127.0.0.1', port: b.localPort });
  const close = (): void => {
    for (const x of [a, b, codecA, codecB]) x.close();
    assert.equal(ports.inUse, 0);
  };
  return { a, b, close };
}

describe('an Opus leg', () => {
  it('sends a 1 kHz tone over UDP in 20 ms packets 960 timestamp units apart, and the far leg decodes a 1 kHz tone', async () => {
    const clock = new FakeClock();
    const { a, b, close } = await opusPair(clock);
    const media = new MediaClock({ clock });
    const sender = new AudioSender(a, media, { sendSilence: false });
    const receiver = new AudioReceiver(b, { targetFrames: 2 });
    const seen: { pt: number; ts: number }[] = [];
    b.addObserver((buf) => seen.push({ pt: readPayloadType(buf), ts: readTimestamp(buf) }));
    sender.setSource(new PcmSource(sineTone(1000, 400)));
    media.start();
    for (let t = 0; t < 20; t++) clock.advance(20);
    await waitFor(() => seen.length === 20);
    assert.ok(seen.every((p) => p.pt === 111));
    for (let i = 1; i < seen.length; i++)
      assert.equal(((seen[i] as { ts: number }).ts - (seen[i - 1] as { ts: number }).ts) >>> 0, 960);
    assert.equal(a.stats().packets_sent, 20);
    const heard = new Int16Array(160 * 20);
    const frame = new Int16Array(160);
    let frames = 0;
    while (receiver.read(frame) && frames < 20) heard.set(frame, 160 * frames++);
    const steady = heard.subarray(160 * 4, 160 * 18);
    assert.ok(goertzelPower(steady, 1000) > 50 * goertzelPower(steady, 700), 'the far leg hears 1 kHz');
    assert.ok(goertzelPower(steady, 1000) > 1e6, `and loud (${goertzelPower(steady, 1000)})`);
    assert.ok(Number.isFinite(b.stats().jitter_ms));
    for (const x of [sender, receiver, media]) x.close();
    close();
    assert.equal(clock.pending, 0);
  });

  it('joins the conference mixer as 8 kHz PCM: a G.711 participant hears the Opus leg’s tone', async () => {
    const clock = new FakeClock();
    const { a, b, close } = await opusPair(clock);
    const media = new MediaClock({ clock });
    const sender = new AudioSender(a, media, { sendSilence: false });
    const receiver = new AudioReceiver(b, { targetFrames: 2 });
    sender.setSource(new PcmSource(sineTone(1000, 600)));
    media.start();
    for (let t = 0; t < 30; t++) clock.advance(20);
    await waitFor(() => b.stats().packets_received === 30);
    // The mixer ticks on its own here; the G.711 participant's sink encodes what it hears, as its leg would.
    const mixer = new Mixer();
    const heard: number[] = [];
    const payload = new Uint8Array(160);
    const pcm = new Int16Array(160);
    const g711Sink: AudioSink = {
      write: (frame) => {
        payload.set(PCMU.encodeFrame(frame));
        PCMU.decodeFrame(payload, pcm);
        heard.push(...pcm);
      },
    };
    mixer.join({ id: 'opus', source: receiver, sink: { write: () => {} } });
    mixer.join({ id: 'pcmu', source: { read: (f) => (f.fill(0), true) }, sink: g711Sink });
    for (let t = 0; t < 25; t++) mixer.tick();
    const steady = Int16Array.from(heard.slice(160 * 4, 160 * 24));
    assert.ok(goertzelPower(steady, 1000) > 50 * goertzelPower(steady, 700), 'the mix carries 1 kHz');
    assert.ok(goertzelPower(steady, 1000) > 1e6);
    mixer.close();
    for (const x of [sender, receiver, media]) x.close();
    close();
  });

  it('shrinks a grown lead on quiet Opus frames as G.711 does, playing kept frames from the one decoding', async () => {
    const clock = new FakeClock();
    const { a, b, close } = await opusPair(clock);
    const encoder = new OpusCodec(111);
    const receiver = new AudioReceiver(b, { targetFrames: 1, shrinkTicks: 5 });
    const silent = new Int16Array(160);
    const loud = sineTone(1000, 20);
    const send = (pcm: Int16Array): void => a.sendAudio(encoder.encodeFrame(pcm).slice(), 960);
    // A burst of five quiet frames gives the buffer four frames of lead; then one frame per tick.
    for (let i = 0; i < 5; i++) send(silent);
    await waitFor(() => b.stats().packets_received === 5);
    const frame = new Int16Array(160);
    let heard = 0;
    for (let tick = 0; tick < 20; tick++) {
      receiver.read(frame);
      heard = Math.max(heard, goertzelPower(frame, 1000));
      send(tick === 10 ? loud : silent);
      await waitFor(() => b.stats().packets_received === 6 + tick);
    }
    // Without a way to judge Opus frames, only the forced shrink (10 × shrinkTicks) would cut the lead.
    assert.ok(receiver.jitterBuffer.stats.shrunk >= 2, JSON.stringify(receiver.jitterBuffer.stats));
    // The loud frame was kept and played: the 1 kHz tone is heard once it comes out.
    for (let tick = 0; tick < 6; tick++) {
      receiver.read(frame);
      heard = Math.max(heard, goertzelPower(frame, 1000));
    }
    assert.ok(heard > 1e5, `the kept tone frame plays (power ${heard})`);
    receiver.close();
    encoder.close();
    close();
  });
});
