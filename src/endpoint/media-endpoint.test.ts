import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MediaClock, PcmSource, type PortAllocator, parseWav, tone } from '../media/index.ts';
import { AppError, InvalidStateError } from '../shared/index.ts';
import { createOffer, formatSdp, parseSdp } from '../sdp/index.ts';
import { MediaEndpoint, type MediaDtmfEvent } from './media-endpoint.ts';
import { capture, randomAllocator, sleep, toneShare, until } from './testing/endpoint-kit.ts';

describe('MediaEndpoint', () => {
  let allocator: PortAllocator;
  let mediaClock: MediaClock;
  let a: MediaEndpoint;
  let b: MediaEndpoint;

  beforeEach(async () => {
    allocator = randomAllocator();
    mediaClock = new MediaClock();
    const offered = await MediaEndpoint.offer({ allocator, address: '127.0.0.1', mediaClock });
    const answered = await MediaEndpoint.answer({
      allocator,
      address: '127.0.0.1',
      mediaClock,
      offerSdp: offered.offerSdp,
    });
    offered.endpoint.applyAnswer(answered.answerSdp);
    a = offered.endpoint;
    b = answered.endpoint;
  });

  afterEach(async () => {
    await a.close();
    await b.close();
    mediaClock.close();
    assert.equal(allocator.inUse, 0);
  });

  it('offer/answer: agrees on PCMU and telephone-event and writes each side its own port', () => {
    assert.equal(a.codecName, 'PCMU');
    assert.equal(b.codecName, 'PCMU');
    assert.notEqual(a.localPort, b.localPort);
    assert.equal(allocator.inUse, 2);
  });

  it('a tone one side plays is heard by the other, and play resolves "ended"', async () => {
    const heard = capture(mediaClock, b.audio);
    const outcome = await a.play(new PcmSource(tone([1000], 600)));
    await sleep(200);
    heard.stop();
    assert.equal(outcome, 'ended');
    const samples = heard.samples();
    assert.ok(toneShare(samples, 1000) > 0.5, `1 kHz share ${toneShare(samples, 1000)}`);
    assert.ok(toneShare(samples, 600) < 0.05);
  });

  it('records _in (what the peer said) and _out (what we sent) per tick', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'callbin-media-'));
    try {
      const recorder = await b.record({ basePath: join(dir, 'leg') });
      const played = Promise.all([a.play(new PcmSource(tone([1000], 800))), b.play(new PcmSource(tone([600], 800)))]);
      await played;
      await sleep(150);
      const result = await recorder.stop();
      assert.equal(result.files.length, 2);
      const said = parseWav(await readFile(join(dir, 'leg_in.wav'))).samples;
      const heard = parseWav(await readFile(join(dir, 'leg_out.wav'))).samples;
      assert.equal(said.length, heard.length);
      assert.ok(toneShare(said, 1000) > 0.4, `in: 1 kHz share ${toneShare(said, 1000)}`);
      assert.ok(toneShare(heard, 600) > 0.4, `out: 600 Hz share ${toneShare(heard, 600)}`);
      assert.ok(toneShare(said, 600) < 0.05 && toneShare(heard, 1000) < 0.05);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('DTMF 12# sent as RFC 4733 arrives in order, and SIP INFO digits are reported too', async () => {
    const digits: MediaDtmfEvent[] = [];
    b.on('dtmf', (e) => digits.push(e));
    await a.sendDigits('12#', { durationMs: 80, intervalMs: 40 });
    await until(() => digits.length >= 3, 'three digits');
    assert.deepEqual(
      digits.map((d) => [d.digit, d.via]),
      [
        ['1', 'rfc4733'],
        ['2', 'rfc4733'],
        ['#', 'rfc4733'],
      ],
    );
    assert.ok(digits.every((d) => d.durationMs >= 70));
    const info = b.handleInfo('Signal=5\r\nDuration=160\r\n', 'application/dtmf-relay');
    assert.deepEqual(info, { digit: '5', durationMs: 160, via: 'info' });
    assert.equal(digits.at(-1)?.digit, '5');
  });

  it('hold by re-offer stops the held side from sending; unhold resumes it', async () => {
    a.applyAnswer(b.answerReoffer(a.reoffer({ hold: true })));
    assert.equal(b.sending, false);
    assert.equal(a.sending, true);
    assert.equal(a.receiving, false);
    await sleep(60);
    const sentOnHold = b.stats().packets_sent;
    await sleep(200);
    assert.equal(b.stats().packets_sent, sentOnHold);
    assert.ok(a.stats().packets_sent > 0);
    await assert.rejects(
      b.sendDigits('1'),
      (e: unknown) => e instanceof InvalidStateError && e.code === 'MEDIA_NOT_SENDING',
    );

    a.applyAnswer(b.answerReoffer(a.reoffer({ hold: false })));
    assert.equal(b.sending, true);
    await until(() => b.stats().packets_sent > sentOnHold + 3, 'packets after unhold');
  });

  it('an inactive re-offer from the peer stops our sending, and an unchanged re-offer keeps the SDP version', () => {
    const offer = parseSdp(a.reoffer({ hold: false }));
    const first = b.answerReoffer(formatSdp(offer));
    const again = b.answerReoffer(formatSdp(offer));
    assert.equal(again, first);
    const media = offer.media[0];
    assert.ok(media);
    media.direction = 'inactive';
    const held = b.answerReoffer(formatSdp(offer));
    assert.equal(parseSdp(held).origin.sessionVersion, parseSdp(first).origin.sessionVersion + 1);
    assert.equal(parseSdp(held).media[0]?.direction, 'inactive');
    assert.equal(b.sending, false);
    assert.equal(b.receiving, false);
  });

  it('mute "in" stops what the endpoint hears from us; mute "out" drops what it says', async () => {
    void b.play(new PcmSource(tone([1000], 3000)));
    a.setMuted('in');
    await sleep(60);
    const sent = a.stats().packets_sent;
    await sleep(200);
    assert.equal(a.stats().packets_sent, sent);

    a.setMuted('out');
    await sleep(100);
    const muted = capture(mediaClock, a.audio);
    await sleep(200);
    muted.stop();
    assert.ok(muted.samples().every((s) => s === 0));
    assert.ok(a.stats().packets_sent > sent);

    a.setMuted('none');
    await sleep(100);
    const open = capture(mediaClock, a.audio);
    await sleep(200);
    open.stop();
    assert.ok(toneShare(open.samples(), 1000) > 0.5);
  });

  it('a new play stops the previous one; an abort signal stops playback', async () => {
    const first = a.play(new PcmSource(tone([500], 5000)));
    const controller = new AbortController();
    const second = a.play(new PcmSource(tone([700], 5000)), { signal: controller.signal });
    assert.equal(await first, 'stopped');
    controller.abort();
    assert.equal(await second, 'stopped');
  });

  it('close releases the ports, is idempotent, and later calls throw', async () => {
    const playing = a.play(new PcmSource(tone([500], 5000)));
    await a.close();
    await a.close();
    assert.equal(await playing, 'stopped');
    assert.equal(allocator.inUse, 1);
    assert.throws(
      () => a.reoffer({ hold: true }),
      (e: unknown) => e instanceof InvalidStateError,
    );
    assert.equal(a.audio.read(new Int16Array(160)), false);
  });
});

describe('MediaEndpoint.answer', () => {
  it('takes PCMA when that is all the offer has, and writes only it in the answer', async () => {
    const allocator = randomAllocator();
    const mediaClock = new MediaClock();
    const offerSdp = formatSdp(createOffer({ address: '127.0.0.1', port: 40000, codecs: ['PCMA'] }));
    const { endpoint, answerSdp } = await MediaEndpoint.answer({
      allocator,
      address: '127.0.0.1',
      mediaClock,
      offerSdp,
    });
    try {
      assert.equal(endpoint.codecName, 'PCMA');
      const media = parseSdp(answerSdp).media[0];
      assert.equal(media?.port, endpoint.localPort);
      assert.deepEqual(
        media?.formats.map((f) => f.name),
        ['PCMA', 'telephone-event'],
      );
    } finally {
      await endpoint.close();
      mediaClock.close();
    }
    assert.equal(allocator.inUse, 0);
  });

  it('the offerer switches to the codec the answer picked (PCMA) and audio flows with it', async () => {
    const allocator = randomAllocator();
    const mediaClock = new MediaClock();
    const offered = await MediaEndpoint.offer({ allocator, address: '127.0.0.1', mediaClock });
    const answered = await MediaEndpoint.answer({
      allocator,
      address: '127.0.0.1',
      mediaClock,
      offerSdp: offered.offerSdp,
      codecs: ['PCMA'],
    });
    try {
      assert.equal(offered.endpoint.codecName, 'PCMU');
      offered.endpoint.applyAnswer(answered.answerSdp);
      assert.equal(offered.endpoint.codecName, 'PCMA');
      const heard = capture(mediaClock, answered.endpoint.audio);
      await offered.endpoint.play(new PcmSource(tone([1000], 500)));
      await sleep(150);
      heard.stop();
      assert.ok(toneShare(heard.samples(), 1000) > 0.5, `1 kHz share ${toneShare(heard.samples(), 1000)}`);
    } finally {
      await offered.endpoint.close();
      await answered.endpoint.close();
      mediaClock.close();
    }
    assert.equal(allocator.inUse, 0);
  });

  it('refuses to send RFC 4733 digits when the offer had no telephone-event', async () => {
    const allocator = randomAllocator();
    const mediaClock = new MediaClock();
    const offerSdp = formatSdp(
      createOffer({ address: '127.0.0.1', port: 40000, codecs: ['PCMU'], telephoneEvent: false }),
    );
    const { endpoint } = await MediaEndpoint.answer({ allocator, address: '127.0.0.1', mediaClock, offerSdp });
    try {
      await assert.rejects(
        endpoint.sendDigits('1'),
        (e: unknown) => e instanceof InvalidStateError && e.code === 'DTMF_NOT_NEGOTIATED',
      );
    } finally {
      await endpoint.close();
      mediaClock.close();
    }
  });

  it('refuses an offer without a common codec with SDP_NO_COMMON_CODEC before taking ports', async () => {
    const allocator = randomAllocator();
    const mediaClock = new MediaClock();
    const offerSdp = formatSdp(createOffer({ address: '127.0.0.1', port: 40000, codecs: ['opus'] }));
    await assert.rejects(
      MediaEndpoint.answer({ allocator, address: '127.0.0.1', mediaClock, offerSdp }),
      (e: unknown) => e instanceof AppError && e.code === 'SDP_NO_COMMON_CODEC',
    );
    assert.equal(allocator.inUse, 0);
    assert.equal(mediaClock.running, false);
  });
});
