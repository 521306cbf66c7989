import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MediaClock, PortAllocator, decodeAlaw, decodeMulaw, serializeRtpPacket } from '../media/index.ts';
import { openTestPeer, waitFor, type TestPeer } from '../media/testing/test-peer.ts';
import { createOffer, formatSdp, type CodecName } from '../sdp/index.ts';
import { FakeClock } from '../shared/index.ts';
import { MediaEndpoint } from './media-endpoint.ts';

/** What a packet listener got: the decoded samples (copied) and the RTP timestamp. */
interface Heard {
  pcm: Int16Array;
  ts: number;
}

/** A payload of `n` bytes all `code` (any µ-law/A-law code decodes to one value). */
const bytes = (code: number, n = 160): Uint8Array => new Uint8Array(n).fill(code);

const mulaw = (payload: Uint8Array): Int16Array => {
  const out = new Int16Array(payload.length);
  decodeMulaw(payload, out);
  return out;
};

/**
 * MediaEndpoint.onHeardPacket: a UDP phone on loopback sends RTP straight to the leg. The media
 * clock runs on a FakeClock that is never advanced, so no tick ever runs: whatever the listener
 * gets comes from the packet path, before the jitter buffer.
 */
describe('MediaEndpoint.onHeardPacket', () => {
  let clock: FakeClock;
  let mediaClock: MediaClock;
  let allocator: PortAllocator;
  let phone: TestPeer;
  let leg: MediaEndpoint;
  const sessionId = '4242';

  const offer = (codecs: CodecName[], direction: 'sendrecv' | 'inactive' = 'sendrecv', version = 0): string =>
    formatSdp(
      createOffer({ address: '127.0.0.1', port: phone.port, codecs, direction, sessionId, sessionVersion: version }),
    );

  const answered = async (codecs: CodecName[] = ['PCMU']): Promise<MediaEndpoint> => {
    const offerSdp = offer(codecs);
    const options = { allocator, address: '127.0.0.1', mediaClock, clock, offerSdp };
    const { endpoint } = await MediaEndpoint.answer({ ...options, codecs: ['PCMU', 'PCMA', 'opus'] });
    return endpoint;
  };

  /** Sends raw RTP packets from the phone; resolves once the leg has received all of them. */
  const send = async (
    packets: { seq: number; payload: Uint8Array; pt?: number; ssrc?: number; ts?: number }[],
  ): Promise<void> => {
    const before = leg.stats().packets_received;
    for (const p of packets) {
      const packet = serializeRtpPacket({
        payloadType: p.pt ?? 0,
        sequenceNumber: p.seq,
        timestamp: p.ts ?? p.seq * 160,
        ssrc: p.ssrc ?? 7,
        payload: p.payload,
      });
      phone.socket.send(packet, leg.localPort, '127.0.0.1');
      // One at a time, so the arrival order is the order written here.
      const want = before + packets.indexOf(p) + 1;
      await waitFor(() => leg.stats().packets_received >= want);
    }
  };

  const listen = (): { got: Heard[]; off: () => void } => {
    const got: Heard[] = [];
    const off = leg.onHeardPacket((pcm, ts) => void got.push({ pcm: pcm.slice(), ts }));
    return { got, off };
  };

  beforeEach(async () => {
    clock = new FakeClock();
    mediaClock = new MediaClock({ clock });
    const base = 30000 + 2 * Math.floor(Math.random() * 4900);
    allocator = new PortAllocator({ minPort: base, maxPort: base + 15 });
    phone = await openTestPeer();
    leg = await answered();
  });

  afterEach(async () => {
    await leg.close();
    mediaClock.close();
    phone.close();
    assert.equal(allocator.inUse, 0);
  });

  it('passes each audio packet decoded as it arrives, with no media tick, in order; late and duplicate ones are dropped', async () => {
    const { got } = listen();
    assert.equal(leg.packetAudio, true);
    await send([
      { seq: 100, payload: bytes(0x10) },
      { seq: 101, payload: bytes(0x20) },
      { seq: 103, payload: bytes(0x40) },
      { seq: 102, payload: bytes(0x30) },
      { seq: 103, payload: bytes(0x41) },
      { seq: 104, payload: bytes(0x50) },
    ]);
    assert.equal(mediaClock.tickCount, 0, 'no media tick ran');
    assert.deepEqual(
      got.map((h) => h.ts),
      [100, 101, 103, 104].map((s) => s * 160),
    );
    assert.deepEqual(
      got.map((h) => h.pcm),
      [0x10, 0x20, 0x40, 0x50].map((c) => mulaw(bytes(c))),
      'decoded µ-law, the reordered 102 and the second 103 dropped',
    );
    assert.equal(leg.decodedFrames, 0, 'the jitter buffer path decoded nothing');
  });

  it('with `reordered`, passes a packet behind the newest too, still not a repeat of the newest; others keep order', async () => {
    const placed: Heard[] = [];
    leg.onHeardPacket((pcm, ts) => void placed.push({ pcm: pcm.slice(), ts }), { reordered: true });
    const { got } = listen();
    await send([
      { seq: 65534, payload: bytes(0x10) },
      { seq: 1, payload: bytes(0x40) },
      { seq: 65535, payload: bytes(0x20) },
      { seq: 0, payload: bytes(0x30) },
      { seq: 1, payload: bytes(0x41) },
      { seq: 2, payload: bytes(0x50) },
    ]);
    assert.deepEqual(
      placed.map((h) => [h.ts, h.pcm[0]]),
      [
        [65534 * 160, mulaw(bytes(0x10))[0]],
        [1 * 160, mulaw(bytes(0x40))[0]],
        [65535 * 160, mulaw(bytes(0x20))[0]],
        [0, mulaw(bytes(0x30))[0]],
        [2 * 160, mulaw(bytes(0x50))[0]],
      ],
      'the late 65535 and 0 passed across the wrap; the second 1 dropped',
    );
    assert.deepEqual(
      got.map((h) => h.ts),
      [65534, 1, 2].map((s) => s * 160),
    );
  });

  it('follows the sequence across its wrap, starts afresh on a new SSRC, and keeps each packet’s own length', async () => {
    const { got } = listen();
    await send([
      { seq: 65534, payload: bytes(0x11) },
      { seq: 65535, payload: bytes(0x12) },
      { seq: 0, payload: bytes(0x13, 80) },
      { seq: 65535, payload: bytes(0x14) },
      { seq: 5, payload: bytes(0x15, 240), ssrc: 8 },
      { seq: 1, payload: bytes(0x16), ssrc: 7 },
    ]);
    assert.deepEqual(
      got.map((h) => [h.pcm.length, h.pcm[0]]),
      [
        [160, mulaw(bytes(0x11))[0]],
        [160, mulaw(bytes(0x12))[0]],
        [80, mulaw(bytes(0x13))[0]],
        [240, mulaw(bytes(0x15))[0]],
        [160, mulaw(bytes(0x16))[0]],
      ],
      '0 follows 65535; 65535 after 0 is late; a new SSRC passes whatever its number',
    );
  });

  it('skips telephone-events, comfort noise and other payload types; decodes PCMA on a PCMA leg', async () => {
    const { got } = listen();
    await send([
      { seq: 10, payload: new Uint8Array([5, 0x0a, 0, 160]), pt: 101 },
      { seq: 11, payload: new Uint8Array([40]), pt: 13 },
      { seq: 12, payload: bytes(0x22), pt: 8 },
    ]);
    assert.deepEqual(got, []);
    await leg.close();
    leg = await answered(['PCMA']);
    const pcma = listen();
    await send([{ seq: 20, payload: bytes(0x22), pt: 8 }]);
    const expected = new Int16Array(160);
    decodeAlaw(bytes(0x22), expected);
    assert.deepEqual(
      pcma.got.map((h) => h.pcm),
      [expected],
    );
  });

  it('passes nothing while muted out or not receiving (hold); a detached or throwing listener gets no more', async () => {
    const { got, off } = listen();
    let thrown = 0;
    leg.onHeardPacket(() => {
      thrown++;
      throw new Error('a broken listener');
    });
    leg.setMuted('out');
    await send([{ seq: 1, payload: bytes(0x31) }]);
    assert.deepEqual(got, [], 'muted out');
    leg.setMuted('in');
    await send([{ seq: 2, payload: bytes(0x32) }]);
    assert.equal(got.length, 1, 'muted in only: passed');
    assert.equal(thrown, 1);
    leg.answerReoffer(offer(['PCMU'], 'inactive', 1));
    assert.equal(leg.receiving, false);
    await send([{ seq: 3, payload: bytes(0x33) }]);
    assert.equal(got.length, 1, 'held: nothing');
    leg.answerReoffer(offer(['PCMU'], 'sendrecv', 2));
    await send([{ seq: 4, payload: bytes(0x34) }]);
    assert.equal(got.length, 2, 'taken off hold: passed again');
    assert.equal(thrown, 1, 'the listener that threw was removed');
    off();
    off();
    await send([{ seq: 5, payload: bytes(0x35) }]);
    assert.equal(got.length, 2, 'detached');
  });

  it('an Opus leg gets a no-op and is never called; a re-INVITE to Opus stops a G.711 listener', async () => {
    const { got } = listen();
    await send([{ seq: 1, payload: bytes(0x41) }]);
    assert.equal(got.length, 1);
    leg.answerReoffer(offer(['opus'], 'sendrecv', 1));
    assert.equal(leg.codecName, 'opus');
    assert.equal(leg.packetAudio, false);
    await send([
      { seq: 2, payload: bytes(0x42, 60), pt: 111 },
      { seq: 3, payload: bytes(0x43), pt: 0 },
    ]);
    assert.equal(got.length, 1, 'nothing passed on Opus');
    await leg.close();
    leg = await answered(['opus']);
    assert.equal(leg.codecName, 'opus');
    let calls = 0;
    const off = leg.onHeardPacket(() => calls++);
    await send([{ seq: 1, payload: bytes(0x44, 60), pt: 111 }]);
    assert.equal(calls, 0);
    off();
  });

  it('throws MEDIA_ENDPOINT_CLOSED once closed', async () => {
    await leg.close();
    assert.throws(
      () => leg.onHeardPacket(() => undefined),
      (err: unknown) => (err as { code?: string }).code === 'MEDIA_ENDPOINT_CLOSED',
    );
  });
});
