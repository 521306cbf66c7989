import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { decodeMulaw, parseWav, serializeRtpPacket } from '../../media/index.ts';
import type { MediaDtmfEvent } from '../../endpoint/media-endpoint.ts';
import { relayLab, sleep, tagged, until, type RelayLab, type TestPhone } from '../testing/test-phones.ts';

/** RFC 4733 packets of one key press as a phone sends them: three updates, then the end packet three times. */
function keyPress(event: number, seq: number, timestamp: number): Uint8Array[] {
  const payloads = [
    [0x0a, 160],
    [0x0a, 320],
    [0x0a, 480],
    [0x8a, 800],
    [0x8a, 800],
    [0x8a, 800],
  ] as const;
  return payloads.map(([flags, duration], i) =>
    serializeRtpPacket({
      payloadType: 101,
      sequenceNumber: seq + i,
      timestamp,
      ssrc: 0x777,
      marker: i === 0,
      payload: Uint8Array.of(event, flags, duration >> 8, duration & 0xff),
    }),
  );
}

const events = (phone: TestPhone, from = 0): string[] =>
  phone.received
    .slice(from)
    .filter((p) => p.payloadType === 101)
    .map((p) => Buffer.from(p.payload).toString('hex'));

describe('CallMedia over a relayed bridge', () => {
  let lab: RelayLab | undefined;
  afterEach(async () => {
    await lab?.close();
    lab = undefined;
  });

  async function start(codecs: readonly ('PCMU' | 'PCMA')[]): Promise<{ lab: RelayLab; phones: TestPhone[] }> {
    lab = await relayLab(codecs);
    return { lab, phones: lab.phones };
  }

  /** Packets each phone got during `ms` from now. */
  async function window<T extends TestPhone[]>(phones: [...T], ms = 500): Promise<{ [K in keyof T]: number }> {
    const marks = phones.map((p) => p.received.length);
    await sleep(ms);
    return marks as { [K in keyof T]: number };
  }

  it('mute in / out / both keep their meaning: in = the leg hears nothing, out = nobody hears the leg', async () => {
    const {
      lab,
      phones: [alice, bob],
    } = (await start(['PCMU', 'PCMU'])) as { lab: RelayLab; phones: [TestPhone, TestPhone] };
    await lab.media.bridge('a', 'b');
    const streams = [alice.stream(lab.endpoints[0]!.localPort), bob.stream(lab.endpoints[1]!.localPort)];
    const cases = [
      ['in', false, true],
      ['out', true, false],
      ['both', false, false],
      ['', true, true],
    ] as const;
    for (const [direction, bobHearsAlice, aliceHearsBob] of cases) {
      await lab.media.setMute('b', direction);
      await sleep(200);
      const [a0, b0] = await window([alice, bob]);
      assert.equal(lab.heardFrom(bob, alice, b0).length > 10, bobHearsAlice, `mute '${direction}': bob hears alice`);
      assert.equal(lab.heardFrom(alice, bob, a0).length > 10, aliceHearsBob, `mute '${direction}': alice hears bob`);
      if (direction === 'in' || direction === 'both')
        assert.equal(bob.received.length, b0, `mute '${direction}': nothing at all is sent to bob`);
      if (direction === 'out') assert.ok(alice.received.length - a0 > 10, 'alice gets silence instead');
    }
    for (const s of streams) s.stop();
    await Promise.all(streams.map((s) => s.done));
  });

  it('DTMF: RFC 4733 packets are relayed once as they came, detected on both legs, INFO digits generated, none to a held leg', async () => {
    const {
      lab,
      phones: [alice, bob],
    } = (await start(['PCMU', 'PCMU'])) as { lab: RelayLab; phones: [TestPhone, TestPhone] };
    const [a, b] = lab.endpoints;
    await lab.media.bridge('a', 'b');
    const digits: string[] = [];
    const on =
      (leg: string) =>
      (e: MediaDtmfEvent): void =>
        void digits.push(`${leg}:${e.digit}:${e.via}`);
    lab.media.onDtmf('a', on('a'));
    lab.media.onDtmf('b', on('b'));
    const five = keyPress(5, 100, 8000);
    for (const packet of five) alice.send(packet, a!.localPort);
    for (const packet of keyPress(9, 200, 16000)) bob.send(packet, b!.localPort);
    await until(() => digits.length === 2 && events(bob).length >= 6 && events(alice).length >= 6, 'both key presses');
    await sleep(500);
    assert.deepEqual(digits.sort(), ['a:5:rfc4733', 'b:9:rfc4733']);
    assert.deepEqual(
      events(bob),
      ['050a00a0', '050a0140', '050a01e0', '058a0320', '058a0320', '058a0320'],
      'relayed as sent, nothing generated',
    );
    assert.equal(events(alice).length, 6);
    a!.handleInfo('Signal=7\r\nDuration=100\r\n', 'application/dtmf-relay');
    await until(() => events(bob).some((e) => e.startsWith('078')), 'the INFO digit generated towards bob');
    lab.media.setHeld('b', true);
    const held = bob.received.length;
    for (const packet of keyPress(3, 300, 24000)) alice.send(packet, a!.localPort);
    await until(() => digits.includes('a:3:rfc4733'), 'the digit pressed during hold');
    await sleep(500);
    assert.deepEqual(events(bob, held), [], 'a held leg hears no digits of the peer');
  });

  it('a recording of a relayed leg decodes the raw packets: _in = what the phone said, _out = what it heard', async () => {
    const {
      lab,
      phones: [alice, bob],
    } = (await start(['PCMU', 'PCMU'])) as { lab: RelayLab; phones: [TestPhone, TestPhone] };
    await lab.media.bridge('a', 'b');
    const streams = [alice.stream(lab.endpoints[0]!.localPort), bob.stream(lab.endpoints[1]!.localPort)];
    await until(() => lab.heardFrom(bob, alice).length > 5 && lab.heardFrom(alice, bob).length > 5, 'the relay');
    const dir = await mkdtemp(join(tmpdir(), 'callbin-relay-rec-'));
    try {
      const recorder = await lab.media.endpoint('b').record({ basePath: join(dir, 'rec'), format: 'split' });
      await sleep(1200);
      await recorder.stop('manual');
      for (const s of streams) s.stop();
      await Promise.all(streams.map((s) => s.done));
      for (const [file, speaker] of [
        ['rec_in.wav', bob],
        ['rec_out.wav', alice],
      ] as const) {
        const pcm = parseWav(new Uint8Array(await readFile(join(dir, file)))).samples;
        const frames = new Set<string>();
        const decoded = new Int16Array(160);
        for (let k = 1; k < 400; k++) {
          decodeMulaw(tagged(speaker.id, k), decoded);
          frames.add(decoded.join());
        }
        let matched = 0;
        for (let at = 0; at + 160 <= pcm.length; at += 160)
          if (frames.has(pcm.subarray(at, at + 160).join())) matched++;
        assert.ok(matched >= 30, `${file}: ${matched} frames are exactly phone ${speaker.id}'s packets decoded`);
      }
      assert.ok((lab.media.relayOf('b')?.forwarded.aToB ?? 0) > 50, 'the packets went through the relay');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('legs with different codecs are decoded and re-encoded (no relay)', async () => {
    const {
      lab,
      phones: [alice, carol],
    } = (await start(['PCMU', 'PCMA'])) as { lab: RelayLab; phones: [TestPhone, TestPhone] };
    await lab.media.bridge('a', 'b');
    assert.equal(lab.media.relayOf('a')?.active, false);
    const stream = alice.stream(lab.endpoints[0]!.localPort);
    const [, c0] = await window([alice, carol], 800);
    stream.stop();
    await stream.done;
    const heard = carol.received.slice(c0);
    assert.ok(heard.length > 20 && heard.every((p) => p.payloadType === 8), 'carol gets PCMA');
    assert.ok(
      heard.some((p) => p.payload.some((x) => x !== 0xd5)),
      "with alice's audio in it",
    );
    assert.deepEqual(lab.media.relayOf('a')?.forwarded, { aToB: 0, bToA: 0 });
  });

  it('transfer re-bridges to another leg (the old relay closed first); a hangup stops the relay and the leg sends its own audio again', async () => {
    const {
      lab,
      phones: [alice, bob, carol],
    } = (await start(['PCMU', 'PCMU', 'PCMU'])) as { lab: RelayLab; phones: [TestPhone, TestPhone, TestPhone] };
    await lab.media.bridge('a', 'b');
    const oldRelay = lab.media.relayOf('a');
    const stream = alice.stream(lab.endpoints[0]!.localPort);
    await until(() => lab.heardFrom(bob, alice).length > 5, 'the relay to bob');
    await lab.media.bridge('a', 'c');
    assert.equal(oldRelay?.active, false);
    assert.equal(lab.media.relayOf('b'), undefined);
    const [, b0, c0] = await window([alice, bob, carol]);
    assert.deepEqual(lab.heardFrom(bob, alice, b0), [], 'bob no longer hears alice');
    assert.ok(bob.received.length - b0 > 10, 'bob hears his own leg (silence)');
    assert.ok(lab.heardFrom(carol, alice, c0).length > 10, 'carol hears alice');
    await lab.media.release('c');
    assert.equal(lab.media.relayOf('a'), undefined);
    const forwarded = lab.endpoints[0]!.stats().packets_received;
    const [a1] = await window([alice]);
    assert.ok(lab.endpoints[0]!.stats().packets_received > forwarded, 'alice still streams to her leg');
    assert.ok(alice.received.length - a1 > 10, 'alice hears her own leg again');
    await lab.media.bridge('a', 'b');
    const relay = lab.media.relayOf('a');
    await until(() => (relay?.forwarded.aToB ?? 0) > 5, 'the new relay');
    await lab.endpoints[1]!.close();
    assert.equal(relay?.active, false, 'an endpoint closing on its own stops the relay');
    const count = relay?.forwarded.aToB;
    await sleep(300);
    assert.equal(relay?.forwarded.aToB, count, 'nothing is forwarded any more');
    stream.stop();
    await stream.done;
  });
});
