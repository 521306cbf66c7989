import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MediaClock, PcmSource, PortAllocator, parseRtpPacket, serializeRtpPacket, tone } from '../media/index.ts';
import { openTestPeer, waitFor, type TestPeer } from '../media/testing/test-peer.ts';
import { createOffer, formatSdp } from '../sdp/index.ts';
import { FakeClock } from '../shared/index.ts';
import { LegOutput } from './leg-output.ts';
import { MediaEndpoint } from './media-endpoint.ts';

/** A PCMU payload that survives decoding and encoding again unchanged (any code but 0x7f does). */
const voice = (code: number): Uint8Array => new Uint8Array(160).fill(code);

/** The decoded path (docs/media.md "Jitter buffer"): two legs on a FakeClock-driven media clock, each with a UDP phone. */
describe('MediaEndpoint: the decoded path', () => {
  let clock: FakeClock;
  let mediaClock: MediaClock;
  let allocator: PortAllocator;
  let caller: TestPeer;
  let callee: TestPeer;
  let a: MediaEndpoint;
  let b: MediaEndpoint;
  const seqs = new Map<TestPeer, number>();

  const leg = async (peer: TestPeer): Promise<MediaEndpoint> => {
    const offerSdp = formatSdp(createOffer({ address: '127.0.0.1', port: peer.port, codecs: ['PCMU'] }));
    const answered = await MediaEndpoint.answer({ allocator, address: '127.0.0.1', mediaClock, clock, offerSdp });
    return answered.endpoint;
  };

  /** The phone sends one 20 ms packet to `to`; resolves once the endpoint has it. */
  const say = async (peer: TestPeer, to: MediaEndpoint, payload: Uint8Array): Promise<void> => {
    const seq = seqs.get(peer) ?? 1000;
    seqs.set(peer, seq + 1);
    const received = to.stats().packets_received;
    const packet = serializeRtpPacket({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 7, payload });
    peer.socket.send(packet, to.localPort, '127.0.0.1');
    await waitFor(() => to.stats().packets_received > received);
  };

  /** Runs one media clock tick; resolves with the packet each phone got from it. */
  const tick = async (): Promise<{ caller: Uint8Array; callee: Uint8Array }> => {
    const before = [caller.received.length, callee.received.length] as const;
    clock.advance(20);
    await waitFor(() => caller.received.length > before[0] && callee.received.length > before[1]);
    const payload = (peer: TestPeer): Uint8Array =>
      Uint8Array.from(parseRtpPacket(peer.received.at(-1) as Uint8Array).payload);
    return { caller: payload(caller), callee: payload(callee) };
  };

  beforeEach(async () => {
    clock = new FakeClock();
    mediaClock = new MediaClock({ clock });
    // Above the default RTP range (20000–30000), which a callbin running beside the tests may fill.
    const base = 30000 + 2 * Math.floor(Math.random() * 4900);
    allocator = new PortAllocator({ minPort: base, maxPort: base + 63 });
    caller = await openTestPeer();
    callee = await openTestPeer();
    seqs.clear();
    a = await leg(caller);
    b = await leg(callee);
  });

  afterEach(async () => {
    await a.close();
    await b.close();
    mediaClock.close();
    caller.close();
    callee.close();
    assert.equal(allocator.inUse, 0);
  });

  it('a frame that came in before a tick goes out to the bridged peer on that tick, in either direction', async () => {
    // Bridged on the decoded path as CallMedia does it: each leg plays a LegOutput hearing the other.
    for (const [listener, speaker] of [
      [a, b],
      [b, a],
    ] as const) {
      const output = new LegOutput();
      output.peer = speaker.audio;
      void listener.play(output);
    }
    await tick();
    // a's sender reads b before b's own tick listener ran, b's reads a after a's: neither order costs a tick.
    await say(caller, a, voice(0x35));
    assert.deepEqual((await tick()).callee, voice(0x35));
    await say(callee, b, voice(0x46));
    assert.deepEqual((await tick()).caller, voice(0x46));
    await say(caller, a, voice(0x21));
    await say(callee, b, voice(0x52));
    const both = await tick();
    assert.deepEqual([both.callee, both.caller], [voice(0x21), voice(0x52)]);
    assert.equal(a.decodedFrames, 2);
    assert.equal(b.decodedFrames, 2);
  });

  it('a leg nobody listens to is not decoded; a bridge reading it is what decodes it', async () => {
    void a.play(new PcmSource(tone([440], 5000)));
    for (let i = 0; i < 10; i++) {
      await say(caller, a, voice(0x30 + i));
      await tick();
    }
    assert.equal(a.stats().packets_received, 10);
    assert.equal(a.decodedFrames, 0, 'a prompt plays to the leg; what the leg says is not decoded');
    const output = new LegOutput();
    output.peer = a.audio;
    void b.play(output);
    for (let i = 0; i < 3; i++) {
      await say(caller, a, voice(0x40 + i));
      assert.deepEqual((await tick()).callee, voice(0x40 + i));
    }
    assert.equal(a.decodedFrames, 3, 'each frame decoded once, on the tick it is read');
    output.peer = undefined;
    await say(caller, a, voice(0x50));
    await tick();
    assert.equal(a.decodedFrames, 3, 'unbridged: not decoded any more');
  });
});
