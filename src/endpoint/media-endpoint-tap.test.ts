import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MediaClock, PcmSource, type PortAllocator, tone } from '../media/index.ts';
import { hasCode } from '../shared/index.ts';
import { LegOutput } from './leg-output.ts';
import { LegRelay } from './leg-relay.ts';
import { MediaEndpoint } from './media-endpoint.ts';
import { randomAllocator, sleep, toneShare, until } from './testing/endpoint-kit.ts';

/** Frames a tap got, copied. */
function collector(): { heard: Int16Array[]; sent: Int16Array[]; listener: (h: Int16Array, s: Int16Array) => void } {
  const heard: Int16Array[] = [];
  const sent: Int16Array[] = [];
  return { heard, sent, listener: (h, s) => void (heard.push(h.slice()), sent.push(s.slice())) };
}

function joined(frames: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(frames.length * 160);
  frames.forEach((f, i) => out.set(f, i * 160));
  return out;
}

describe('MediaEndpoint.tap', () => {
  let allocator: PortAllocator;
  let mediaClock: MediaClock;
  const endpoints: MediaEndpoint[] = [];

  afterEach(async () => {
    await Promise.all(endpoints.splice(0).map((e) => e.close()));
    mediaClock.close();
    assert.equal(allocator.inUse, 0);
  });

  /** A leg (offerer) and the phone at its far end (answerer), on loopback. */
  async function pair(): Promise<[leg: MediaEndpoint, phone: MediaEndpoint]> {
    const base = { allocator, address: '127.0.0.1', mediaClock };
    const offered = await MediaEndpoint.offer(base);
    const answered = await MediaEndpoint.answer({ ...base, offerSdp: offered.offerSdp });
    offered.endpoint.applyAnswer(answered.answerSdp);
    endpoints.push(offered.endpoint, answered.endpoint);
    return [offered.endpoint, answered.endpoint];
  }

  function setup(): void {
    allocator = randomAllocator();
    mediaClock = new MediaClock();
  }

  it('gets what the leg heard and what it was sent each tick; decodes only while tapped; detaches', async () => {
    setup();
    const [leg, phone] = await pair();
    void phone.play(new PcmSource(tone([1000], 5000)));
    void leg.play(new PcmSource(tone([440], 5000)));
    await sleep(200);
    assert.equal(leg.decodedFrames, 0, 'nothing decoded while nobody listens');
    const got = collector();
    const off = leg.tap(got.listener);
    await until(() => got.heard.length >= 30, '30 tapped ticks');
    off();
    const count = got.heard.length;
    assert.ok(leg.decodedFrames >= 30, `${leg.decodedFrames} frames decoded while tapped`);
    const heard = joined(got.heard.slice(5));
    const sent = joined(got.sent.slice(5));
    assert.ok(toneShare(heard, 1000) > 0.5, `heard 1 kHz share ${toneShare(heard, 1000)}`);
    assert.ok(toneShare(sent, 440) > 0.5, `sent 440 Hz share ${toneShare(sent, 440)}`);
    assert.ok(toneShare(heard, 440) < 0.05 && toneShare(sent, 1000) < 0.05, 'the tracks are not mixed up');
    const decoded = leg.decodedFrames;
    await sleep(200);
    assert.equal(got.heard.length, count, 'no call after detaching');
    assert.equal(leg.decodedFrames, decoded, 'no decoding after the last tap left');
  });

  it('heard is silence while muted out; a tap that throws is removed; close detaches; tap after close throws', async () => {
    setup();
    const [leg, phone] = await pair();
    void phone.play(new PcmSource(tone([1000], 5000)));
    leg.setMuted('out');
    const got = collector();
    leg.tap(got.listener);
    let thrown = 0;
    leg.tap(() => {
      thrown += 1;
      throw new Error('a broken listener');
    });
    await until(() => got.heard.length >= 20, '20 tapped ticks');
    assert.equal(thrown, 1, 'called once, then removed');
    assert.ok(
      got.heard.every((f) => f.every((x) => x === 0)),
      'muted out: the leg heard silence',
    );
    await leg.close();
    const count = got.heard.length;
    await sleep(100);
    assert.equal(got.heard.length, count);
    assert.throws(
      () => leg.tap(() => undefined),
      (err: unknown) => hasCode(err, 'MEDIA_ENDPOINT_CLOSED'),
    );
  });

  it('on a relayed bridge, what a leg was sent is the source leg’s decoded audio', async () => {
    setup();
    const [legA, phoneA] = await pair();
    const [legB] = await pair();
    const outA = new LegOutput();
    const outB = new LegOutput();
    void legA.play(outA);
    void legB.play(outB);
    outA.peer = legB.audio;
    outB.peer = legA.audio;
    const relay = new LegRelay({ endpoint: legA, output: outA }, { endpoint: legB, output: outB });
    void phoneA.play(new PcmSource(tone([1000], 5000)));
    const got = collector();
    legB.tap(got.listener);
    await until(() => relay.forwarded.aToB > 20 && got.sent.length > 30, 'relayed packets and tapped ticks');
    const sent = joined(got.sent.slice(-20));
    assert.ok(toneShare(sent, 1000) > 0.5, `relayed 1 kHz share ${toneShare(sent, 1000)}`);
    relay.close();
  });
});
