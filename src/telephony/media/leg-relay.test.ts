import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { g711Codec, type RtpPacket } from '../../media/index.ts';
import type { MediaEndpoint } from '../../endpoint/media-endpoint.ts';
import {
  assertOneStream,
  phoneOffer,
  relayLab,
  sleep,
  taggedIndex,
  until,
  type RelayLab,
  type TestPhone,
} from '../testing/test-phones.ts';

function pair(lab: RelayLab): {
  media: RelayLab['media'];
  alice: TestPhone;
  bob: TestPhone;
  a: MediaEndpoint;
  b: MediaEndpoint;
} {
  const [alice, bob] = lab.phones as [TestPhone, TestPhone];
  const [a, b] = lab.endpoints as [MediaEndpoint, MediaEndpoint];
  return { media: lab.media, alice, bob, a, b };
}

/** A payload of `value` encoded as PCMU (a prompt or hold music of constant level). */
function pcmuOf(value: number): Uint8Array {
  const out = new Uint8Array(160);
  g711Codec('PCMU').encode(new Int16Array(160).fill(value), out);
  return out;
}

const isConstant = (p: RtpPacket, bytes: Uint8Array): boolean =>
  p.payload.length === 160 && p.payload.every((x, i) => x === bytes[i]);

describe('LegRelay: bridged legs with the same codec relay RTP with only the header rewritten', () => {
  let lab: RelayLab | undefined;
  afterEach(async () => {
    await lab?.close();
    lab = undefined;
  });

  it('over 5 s, packets 1..N reach the far phone bit-exact, each once and in order, in one continuous stream', async () => {
    lab = await relayLab(['PCMU', 'PCMU']);
    const { media, alice, bob, a, b } = pair(lab);
    await media.bridge('a', 'b');
    const N = 260;
    const sent = await Promise.all([
      alice.stream(a.localPort, { count: N }).done,
      bob.stream(b.localPort, { count: N }).done,
    ]);
    assert.deepEqual(sent, [N, N]);
    await until(
      () => lab!.heardFrom(bob, alice).length >= N && lab!.heardFrom(alice, bob).length >= N,
      'every relayed packet',
    );
    await sleep(300);
    const all = Array.from({ length: N }, (_, i) => i + 1);
    for (const [listener, speaker] of [
      [bob, alice],
      [alice, bob],
    ] as const) {
      const heard = listener.received;
      const first = heard.findIndex((p) => taggedIndex(p, speaker.id) !== undefined);
      const relayed = heard.slice(first, first + N);
      assert.deepEqual(
        relayed.map((p) => taggedIndex(p, speaker.id)),
        all,
        `phone ${listener.id}: 1..${N} bit-exact, none lost, none doubled, nothing between`,
      );
      assert.equal(lab.heardFrom(listener, speaker).length, N, `phone ${listener.id}: no packet twice`);
      assert.ok(relayed.every((p) => p.payloadType === 0));
      assertOneStream(heard, `what phone ${listener.id} heard`);
    }
    assert.deepEqual(media.relayOf('a')?.forwarded, { aToB: N, bToA: N });
    assert.equal(a.stats().packets_received, N);
    assert.equal(b.stats().lost, 0);
  });

  it('a prompt on a bridged leg pauses the relay into it only; the relay resumes after it, on the same timeline', async () => {
    lab = await relayLab(['PCMU', 'PCMU']);
    const { media, alice, bob, a, b } = pair(lab);
    await media.bridge('a', 'b');
    const streams = [alice.stream(a.localPort), bob.stream(b.localPort)];
    await until(() => lab!.heardFrom(bob, alice).length >= 10, 'the relay');
    const bobHeardBob = lab.heardFrom(alice, bob).length;
    assert.equal(await media.playAndWait('b', new Int16Array(160 * 25).fill(4000)), 'ended');
    const resumedAt = lab.heardFrom(bob, alice).length;
    await until(() => lab!.heardFrom(bob, alice).length >= resumedAt + 10, 'the relay after the prompt');
    for (const s of streams) s.stop();
    await Promise.all(streams.map((s) => s.done));
    await sleep(100);
    const prompt = pcmuOf(4000);
    const kinds = bob.received.map((p) =>
      taggedIndex(p, alice.id) !== undefined ? 'relayed' : isConstant(p, prompt) ? 'prompt' : 'own',
    );
    const start = kinds.indexOf('prompt');
    assert.deepEqual(
      kinds.slice(start, start + 25),
      Array(25).fill('prompt'),
      'the whole prompt, with nothing relayed into it',
    );
    assert.ok(
      kinds.slice(0, start).includes('relayed') && kinds.slice(start + 25).includes('relayed'),
      'relayed before and after the prompt',
    );
    assert.ok(kinds.slice(start + 25).filter((k) => k === 'own').length <= 2, 'back to the relay at once');
    assertOneStream(bob.received, 'what bob heard across the prompt');
    assert.ok(lab.heardFrom(alice, bob).length > bobHeardBob + 20, 'alice heard bob all along');
    assertOneStream(alice.received, 'what alice heard');
  });

  it('hold: the held phone hears music, never the peer, and the peer hears nothing of it; unhold relays both ways again', async () => {
    lab = await relayLab(['PCMU', 'PCMU'], { holdMusic: new Int16Array(1600).fill(3000) });
    const { media, alice, bob, a, b } = pair(lab);
    await media.bridge('a', 'b');
    const streams = [alice.stream(a.localPort), bob.stream(b.localPort)];
    await until(() => lab!.heardFrom(bob, alice).length >= 10 && lab!.heardFrom(alice, bob).length >= 10, 'the relay');
    // What CallControl does: a sendonly re-INVITE (the phone answers recvonly), then the held leg's media.
    b.reoffer({ hold: true });
    b.applyAnswer(phoneOffer(bob.port, 'PCMU', 'recvonly'));
    media.setHeld('b', true);
    await media.setMusicOnHold('b', true);
    await sleep(200);
    const held = [alice.received.length, bob.received.length];
    await sleep(800);
    assert.deepEqual(lab.heardFrom(bob, alice, held[1]), [], 'the held phone never hears the peer');
    assert.ok(
      bob.received.slice(held[1]).filter((p) => isConstant(p, pcmuOf(3000))).length >= 20,
      'the held phone hears the music',
    );
    assert.deepEqual(lab.heardFrom(alice, bob, held[0]), [], 'the peer hears nothing of the held phone');
    b.reoffer({ hold: false });
    b.applyAnswer(phoneOffer(bob.port, 'PCMU', 'sendrecv'));
    media.setHeld('b', false);
    await media.setMusicOnHold('b', false);
    const unheld = [alice.received.length, bob.received.length];
    await until(
      () => lab!.heardFrom(bob, alice, unheld[1]).length >= 20 && lab!.heardFrom(alice, bob, unheld[0]).length >= 20,
      'the relay after unhold',
    );
    for (const s of streams) s.stop();
    await Promise.all(streams.map((s) => s.done));
    assertOneStream(bob.received, 'what bob heard across hold and unhold');
    assertOneStream(alice.received, 'what alice heard across hold and unhold');
    assert.ok((media.relayOf('b')?.forwarded.aToB ?? 0) > 0);
  });
});
