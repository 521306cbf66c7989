import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/index.ts';
import { MediaClock } from '../clock/index.ts';
import { PCMA } from '../codecs/index.ts';
import { RtpSession } from '../rtp/index.ts';
import { testPortAllocator, waitFor } from '../testing/test-peer.ts';
import { AudioReceiver, AudioSender } from './index.ts';
import { PcmSource } from '../player/index.ts';

test('audio path: the sender encodes 20 ms frames on media clock ticks; the receiver decodes them in order', async () => {
  const clock = new FakeClock();
  const ports = testPortAllocator(2);
  const a = await RtpSession.open({ ports, codec: PCMA, clock });
  const b = await RtpSession.open({ ports, codec: PCMA, clock, remote: { address: '127.0.0.1', port: a.localPort } });
  a.setRemote({ address: '127.0.0.1', port: b.localPort });
  const media = new MediaClock({ clock });
  const sender = new AudioSender(a, media, { sendSilence: false });
  const receiver = new AudioReceiver(b, { targetFrames: 2 });
  const pcm = new Int16Array(160 * 5);
  for (let i = 0; i < pcm.length; i++) pcm[i] = (Math.floor(i / 160) + 1) * 1000;
  let ended = 0;
  sender.on('ended', () => ended++);
  sender.setSource(new PcmSource(pcm));
  media.start();
  for (let t = 0; t < 8; t++) clock.advance(20);
  await waitFor(() => b.stats().packets_received === 5);
  assert.equal(ended, 1);
  assert.equal(a.stats().packets_sent, 5);
  const frame = new Int16Array(160);
  const levels: number[] = [];
  for (let i = 0; i < 5; i++) {
    assert.equal(receiver.read(frame), true);
    levels.push(frame[0] as number);
  }
  assert.deepEqual(
    levels.map((x) => Math.round(x / 1000)),
    [1, 2, 3, 4, 5],
  );
  sender.setMuted(true);
  clock.advance(100);
  assert.equal(a.stats().packets_sent, 5, 'muted: nothing sent');
  for (const x of [sender, receiver, media, a, b]) x.close();
  assert.equal(receiver.read(frame), false);
  assert.equal(ports.inUse, 0);
  assert.equal(clock.pending, 0);
});
