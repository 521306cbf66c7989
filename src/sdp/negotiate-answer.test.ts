import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AppError } from '../shared/index.ts';
import { createOffer, formatSdp, holdOffer, negotiateAnswer, parseAnswer, parseSdp, unholdOffer } from './index.ts';
import type { AnswerOptions } from './index.ts';

/** Reads a captured-style SDP fixture. */
function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

const ours: AnswerOptions = { address: '127.0.0.1', port: 40000 };

/** Asserts that `fn` throws an AppError with `code`. */
function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof AppError && err.code === code);
}

describe('negotiateAnswer', () => {
  it('answers the sipp default offer with PCMU and no telephone-event', () => {
    const r = negotiateAnswer(fixture('sipp-uac.sdp'), ours);
    assert.deepEqual(r.codec, { pt: 0, name: 'PCMU', clockRate: 8000 });
    assert.equal(r.telephoneEventPt, undefined);
    assert.deepEqual(r.remote, { address: '127.0.0.1', port: 6000 });
    assert.equal(r.direction, 'sendrecv');
    assert.equal(r.onHold, false);
    const answer = parseSdp(formatSdp(r.answer));
    assert.equal(answer.connectionAddress, '127.0.0.1');
    assert.equal(answer.media[0]!.port, 40000);
    assert.deepEqual(
      answer.media[0]!.formats.map((f) => f.pt),
      [0],
    );
  });

  it('prefers PCMU over PCMA even when the offer lists PCMA first (baresip, Asterisk)', () => {
    const bare = negotiateAnswer(fixture('baresip.sdp'), ours);
    assert.equal(bare.codec.name, 'PCMU');
    assert.equal(bare.telephoneEventPt, 101);
    const ast = negotiateAnswer(fixture('asterisk-offer.sdp'), ours);
    assert.equal(ast.codec.pt, 0);
    assert.equal(ast.telephoneEventPt, 101);
    assert.deepEqual(
      ast.answer.media[0]!.formats.map((f) => f.pt),
      [0, 101],
    );
    assert.equal(ast.answer.media[0]!.formats[1]!.fmtp, '0-16');
  });

  it('follows our preference list: PCMA first when asked', () => {
    const r = negotiateAnswer(fixture('asterisk-offer.sdp'), { ...ours, supported: ['PCMA', 'PCMU'] });
    assert.equal(r.codec.name, 'PCMA');
  });

  it('answers a Chrome WebRTC offer with PCMU/0 and telephone-event/126', () => {
    const r = negotiateAnswer(fixture('chrome-offer.sdp'), {
      ...ours,
      supported: ['PCMU', 'PCMA', 'opus'],
      protocols: ['UDP/TLS/RTP/SAVPF'],
    });
    assert.deepEqual(r.codec, { pt: 0, name: 'PCMU', clockRate: 8000 });
    assert.equal(r.telephoneEventPt, 126);
    assert.equal(r.answer.media[0]!.protocol, 'UDP/TLS/RTP/SAVPF');
    assert.equal(r.onHold, false, 'c=0.0.0.0 with ICE is a placeholder, not a hold');
    assert.equal(r.direction, 'sendrecv');
  });

  it('takes Opus with telephone-event/48000 when it is our first choice', () => {
    const r = negotiateAnswer(fixture('chrome-offer.sdp'), {
      ...ours,
      supported: ['opus', 'PCMU'],
      protocols: ['UDP/TLS/RTP/SAVPF'],
    });
    assert.equal(r.codec.pt, 111);
    assert.equal(r.codec.channels, 2);
    assert.equal(r.telephoneEventPt, 110);
  });

  it('honours a dynamic payload number and Opus from FreeSWITCH', () => {
    const r = negotiateAnswer(fixture('freeswitch-offer.sdp'), { ...ours, supported: ['opus', 'PCMA'] });
    assert.equal(r.codec.pt, 102);
    assert.equal(r.telephoneEventPt, 103);
    const g711 = negotiateAnswer(fixture('freeswitch-offer.sdp'), ours);
    assert.equal(g711.codec.pt, 0);
    assert.equal(g711.telephoneEventPt, 101);
  });

  it('refuses a WebRTC transport unless the caller accepts it', () => {
    throwsCode(() => negotiateAnswer(fixture('chrome-offer.sdp'), ours), 'SDP_NO_COMMON_CODEC');
  });

  it('rejects the video stream with port 0 and keeps one answer line per offer line', () => {
    const r = negotiateAnswer(fixture('video-and-audio.sdp'), ours);
    assert.equal(r.answer.media.length, 2);
    assert.equal(r.answer.media[0]!.port, 0);
    assert.equal(r.answer.media[0]!.type, 'video');
    assert.ok(r.answer.media[0]!.formats.length > 0);
    assert.equal(r.mediaIndex, 1);
    assert.equal(r.codec.name, 'PCMA');
    assert.deepEqual(r.remote, { address: '192.0.2.45', port: 7078 });
    assert.equal(r.remoteRtcpPort, 7079);
    assert.equal(r.direction, 'sendonly', 'a recvonly offer gets a sendonly answer (RFC 3264 §6.1)');
  });

  it('answers a sendonly hold offer with recvonly', () => {
    const r = negotiateAnswer(fixture('hold-sendonly.sdp'), ours);
    assert.equal(r.direction, 'recvonly');
    assert.equal(r.onHold, true);
    assert.match(formatSdp(r.answer), /a=recvonly\r\n/);
  });

  it('treats c=0.0.0.0 as an RFC 2543 hold', () => {
    const r = negotiateAnswer(fixture('hold-zero-address.sdp'), ours);
    assert.equal(r.onHold, true);
    assert.equal(r.direction, 'recvonly');
    assert.equal(r.remote.address, '0.0.0.0');
  });

  it('answers inactive with inactive, and intersects with our own wish', () => {
    const inactive = fixture('sipp-uac.sdp').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:0 PCMU/8000\r\na=inactive');
    assert.equal(negotiateAnswer(inactive, ours).direction, 'inactive');
    assert.equal(negotiateAnswer(fixture('sipp-uac.sdp'), { ...ours, direction: 'sendonly' }).direction, 'sendonly');
    assert.equal(
      negotiateAnswer(fixture('hold-sendonly.sdp'), { ...ours, direction: 'sendonly' }).direction,
      'inactive',
    );
  });

  it('fails with SDP_NO_COMMON_CODEC for a G.729-only offer', () => {
    throwsCode(() => negotiateAnswer(fixture('g729-only.sdp'), ours), 'SDP_NO_COMMON_CODEC');
  });

  it('fails with SDP_INVALID for malformed text', () => {
    throwsCode(() => negotiateAnswer('v=0\r\ngarbage', ours), 'SDP_INVALID');
  });

  it('keeps the given origin for re-INVITE answers', () => {
    const r = negotiateAnswer(fixture('sipp-uac.sdp'), { ...ours, sessionId: '777', sessionVersion: 3 });
    assert.equal(r.answer.origin.sessionId, '777');
    assert.equal(r.answer.origin.sessionVersion, 3);
  });
});

describe('createOffer and parseAnswer', () => {
  const offer = createOffer({
    address: '10.1.1.1',
    port: 30000,
    codecs: ['PCMU', 'PCMA'],
    telephoneEvent: true,
    direction: 'sendrecv',
    sessionId: '42',
  });

  it('writes PCMU/0, PCMA/8 and telephone-event/101 with ptime 20', () => {
    const text = formatSdp(offer);
    assert.match(text, /^m=audio 30000 RTP\/AVP 0 8 101\r$/m);
    assert.match(text, /^a=rtpmap:101 telephone-event\/8000\r$/m);
    assert.match(text, /^a=fmtp:101 0-16\r$/m);
    assert.match(text, /^a=ptime:20\r$/m);
    assert.match(text, /^c=IN IP4 10\.1\.1\.1\r$/m);
    assert.match(text, /^o=- 42 0 IN IP4 10\.1\.1\.1\r$/m);
  });

  it('reads the codec and payload numbers from the answer (baresip answering)', () => {
    const answer =
      'v=0\r\no=- 9 9 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 35100 RTP/AVP 8 96\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:96 telephone-event/8000\r\na=sendrecv\r\n';
    const r = parseAnswer(formatSdp(offer), answer);
    assert.deepEqual(r.codec, { pt: 8, name: 'PCMA', clockRate: 8000 });
    assert.equal(r.telephoneEventPt, 96);
    assert.deepEqual(r.remote, { address: '127.0.0.1', port: 35100 });
    assert.equal(r.direction, 'sendrecv');
  });

  it('reads a recvonly answer as us sending only', () => {
    const answer = negotiateAnswer(holdOffer(offer), ours).answer;
    const r = parseAnswer(holdOffer(offer), answer);
    assert.equal(r.direction, 'sendonly');
  });

  it('rejects an answer that refuses the stream or uses a codec we never offered', () => {
    const rejected = 'v=0\r\no=- 9 9 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n';
    throwsCode(() => parseAnswer(offer, rejected), 'SDP_NO_COMMON_CODEC');
    const foreign =
      'v=0\r\no=- 9 9 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 18\r\n';
    throwsCode(() => parseAnswer(offer, foreign), 'SDP_NO_COMMON_CODEC');
    const twoLines = `${rejected}m=video 0 RTP/AVP 96\r\n`;
    throwsCode(() => parseAnswer(offer, twoLines), 'SDP_INVALID');
  });

  it('builds hold and unhold re-offers with a bumped version and the same session id', () => {
    const hold = holdOffer(offer);
    assert.equal(hold.origin.sessionId, '42');
    assert.equal(hold.origin.sessionVersion, 1);
    assert.equal(hold.media[0]!.direction, 'sendonly');
    assert.equal(offer.media[0]!.direction, 'sendrecv', 'the previous offer is not mutated');
    const unhold = unholdOffer(hold);
    assert.equal(unhold.origin.sessionVersion, 2);
    assert.equal(unhold.media[0]!.direction, 'sendrecv');
    assert.match(formatSdp(hold), /a=sendonly/);
  });

  it('offers Opus with a dynamic type and a matching 48 kHz telephone-event', () => {
    const o = createOffer({
      address: '10.1.1.1',
      port: 30000,
      codecs: ['opus', 'PCMU'],
      telephoneEvent: true,
      direction: 'sendrecv',
    });
    const f = o.media[0]!.formats;
    assert.deepEqual(
      f.map((x) => `${x.pt} ${x.name}/${x.clockRate}`),
      ['111 opus/48000', '0 PCMU/8000', '101 telephone-event/48000', '102 telephone-event/8000'],
    );
  });
});
