import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { afterEach, describe, it } from 'node:test';
import { MediaClock, PortAllocator, type TtsEngine } from '../../media/index.ts';
import { MediaEndpoint } from '../../endpoint/index.ts';
import { CallMedia } from './call-media.ts';
import {
  assertOneStream,
  openPhone,
  phoneOffer,
  sleep,
  taggedIndex,
  until,
  type TestPhone,
} from '../testing/test-phones.ts';

// The relay's start (docs/media.md "Bridging"): a relayed leg must not depend on its peer speaking
// first. Two parties that only answer media — a caller that waits to hear us before it sends
// (symmetric RTP, RFC 4961) and a callee that echoes what it gets — used to hear nothing at all
// when the bridge was built before the legs' first frame went out: each leg's own audio was paused
// for packets that never came.

/** A far end that sends back every datagram it gets, to where it came from. */
async function openEcho(): Promise<{ port: number; echoed: () => number; close(): void }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  let echoed = 0;
  socket.on('message', (buf, rinfo) => {
    echoed++;
    socket.send(buf, rinfo.port, rinfo.address);
  });
  return { port: socket.address().port, echoed: () => echoed, close: () => socket.close() };
}

interface Lab {
  media: CallMedia;
  clock: MediaClock;
  caller: TestPhone;
  a: MediaEndpoint;
  echo: Awaited<ReturnType<typeof openEcho>>;
  close(): Promise<void>;
}

/** Leg `a` answers `caller`, leg `b` answers an echoing far end; relay on, nothing bridged yet. */
async function lab(): Promise<Lab> {
  const base = 20000 + 2 * Math.floor(Math.random() * 10000);
  const allocator = new PortAllocator({ minPort: base, maxPort: base + 19 });
  const clock = new MediaClock();
  const tts: TtsEngine = { synthesize: async () => new Int16Array(160), voices: () => [] };
  const media = new CallMedia({ tts, relayRtp: true });
  const caller = await openPhone(1);
  const echo = await openEcho();
  const open = (port: number) =>
    MediaEndpoint.answer({ allocator, mediaClock: clock, address: '127.0.0.1', offerSdp: phoneOffer(port) });
  const { endpoint: a } = await open(caller.port);
  const { endpoint: b } = await open(echo.port);
  media.register('a', a);
  media.register('b', b);
  return {
    media,
    clock,
    caller,
    a,
    echo,
    close: async () => {
      await media.close();
      clock.close();
      caller.close();
      echo.close();
    },
  };
}

describe('LegRelay start: a relayed bridge never waits for its peer to speak first', () => {
  let l: Lab | undefined;
  afterEach(async () => {
    await l?.close();
    l = undefined;
  });

  it('bridged before the first frame went out: the waiting caller hears us, then hears its own echo through both legs', async () => {
    l = await lab();
    const { media, clock, caller, a, echo } = l;
    // Force the order: no tick between the legs' creation and the bridge.
    clock.stop();
    await sleep(60);
    const before = caller.received.length;
    await media.bridge('a', 'b');
    clock.start();
    await until(() => caller.received.length > before, 'the caller hears anything after the bridge', 2000);
    // The caller now knows where our media comes from and starts talking (as a symmetric-RTP phone does).
    const talk = caller.stream(a.localPort);
    await until(() => taggedIndex(caller.received.at(-1)!, 1) !== undefined, 'the caller hears its echo', 3000);
    const from = caller.received.length;
    await sleep(500);
    talk.stop();
    await talk.done;
    const echoed = caller.received.slice(from).filter((p) => taggedIndex(p, 1) !== undefined).length;
    assert.ok(echoed >= 20, `the echo came back through the relay: ${echoed} packets in 500 ms`);
    assert.ok(echo.echoed() >= 20);
    assert.ok((media.relayOf('a')?.forwarded.aToB ?? 0) >= 20 && (media.relayOf('a')?.forwarded.bToA ?? 0) >= 20);
    assertOneStream(caller.received.slice(before), 'what the caller heard from the bridge on');
  });

  it('a relayed peer that falls silent: the leg goes on getting one continuous stream (our own audio fills in)', async () => {
    l = await lab();
    const { media, caller, a } = l;
    await media.bridge('a', 'b');
    await until(() => caller.received.length > 0, 'the caller hears us');
    const talk = caller.stream(a.localPort);
    await until(() => taggedIndex(caller.received.at(-1)!, 1) !== undefined, 'the caller hears its echo', 3000);
    talk.stop();
    await talk.done;
    // Nothing is relayed into leg a any more: the echo stops with the caller.
    await sleep(300);
    const quiet = caller.received.length;
    await sleep(400);
    assert.ok(
      caller.received.length - quiet >= 15,
      `the caller still gets a stream: ${caller.received.length - quiet} packets in 400 ms`,
    );
    // The caller speaks again (its timestamps go on from where it stopped): the relay takes over
    // from our audio on the same timeline, never stepping back over what we sent meanwhile.
    const resumed = caller.received.length;
    const again = caller.stream(a.localPort);
    await until(
      () => caller.received.slice(resumed).filter((p) => taggedIndex(p, 1) !== undefined).length >= 10,
      'the echo again',
      3000,
    );
    again.stop();
    await again.done;
    assertOneStream(caller.received, 'what the caller heard: relayed, our own, relayed again');
  });
});
