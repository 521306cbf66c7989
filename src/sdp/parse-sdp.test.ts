import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AppError } from '../shared/index.ts';
import { formatSdp, parseSdp } from './index.ts';

/** Reads a captured-style SDP fixture. */
function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

describe('parseSdp', () => {
  it('reads the sipp default offer', () => {
    const sdp = parseSdp(fixture('sipp-uac.sdp'));
    assert.deepEqual(sdp.origin, {
      username: 'user1',
      sessionId: '53655765',
      sessionVersion: 2353687637,
      address: '127.0.0.1',
    });
    assert.equal(sdp.connectionAddress, '127.0.0.1');
    assert.equal(sdp.media.length, 1);
    const m = sdp.media[0]!;
    assert.equal(m.type, 'audio');
    assert.equal(m.port, 6000);
    assert.equal(m.protocol, 'RTP/AVP');
    assert.equal(m.direction, 'sendrecv');
    assert.deepEqual(m.formats, [{ pt: 0, name: 'PCMU', clockRate: 8000 }]);
  });

  it('keeps a 64-bit browser session id exactly and reads ICE/DTLS attributes verbatim', () => {
    const sdp = parseSdp(fixture('chrome-offer.sdp'));
    assert.equal(sdp.origin.sessionId, '4611731400430051336');
    assert.equal(sdp.connectionAddress, undefined);
    const m = sdp.media[0]!;
    assert.equal(m.protocol, 'UDP/TLS/RTP/SAVPF');
    assert.equal(m.connectionAddress, '0.0.0.0');
    assert.equal(m.rtcpPort, 9);
    assert.deepEqual(
      m.formats.map((f) => f.pt),
      [111, 63, 9, 0, 8, 13, 110, 126],
    );
    assert.deepEqual(m.formats[0], {
      pt: 111,
      name: 'opus',
      clockRate: 48000,
      channels: 2,
      fmtp: 'minptime=10;useinbandfec=1',
    });
    assert.equal(m.attributes.find((a) => a.name === 'ice-ufrag')?.value, 'EsAw');
    assert.ok(m.attributes.some((a) => a.name === 'rtcp-mux' && a.value === undefined));
    assert.ok(m.attributes.some((a) => a.name === 'fingerprint' && a.value?.startsWith('sha-256 DA:7B')));
    assert.equal(m.attributes.filter((a) => a.name === 'ssrc').length, 2);
    assert.deepEqual(
      sdp.attributes.find((a) => a.name === 'group'),
      { name: 'group', value: 'BUNDLE 0' },
    );
  });

  it('fills static payload types that have no rtpmap (RFC 3551)', () => {
    const m = parseSdp(fixture('hold-zero-address.sdp')).media[0]!;
    assert.deepEqual(m.formats, [
      { pt: 0, name: 'PCMU', clockRate: 8000 },
      { pt: 8, name: 'PCMA', clockRate: 8000 },
    ]);
  });

  it('applies media-level c= and direction over session-level ones', () => {
    const sdp = parseSdp(fixture('video-and-audio.sdp'));
    assert.equal(sdp.media[0]!.direction, 'sendrecv');
    assert.equal(sdp.media[0]!.formats[0]!.name, 'VP8');
    assert.equal(sdp.media[1]!.direction, 'recvonly');
    assert.equal(sdp.media[1]!.connectionAddress, '192.0.2.45');
    assert.equal(sdp.media[1]!.formats[0]!.name, 'opus');
    const sessionLevel = parseSdp(
      'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\na=inactive\r\nm=audio 4000 RTP/AVP 0\r\n',
    );
    assert.equal(sessionLevel.media[0]!.direction, 'inactive');
  });

  for (const name of [
    'sipp-uac.sdp',
    'baresip.sdp',
    'chrome-offer.sdp',
    'asterisk-offer.sdp',
    'freeswitch-offer.sdp',
    'video-and-audio.sdp',
  ]) {
    it(`round-trips ${name} through formatSdp`, () => {
      const first = parseSdp(fixture(name));
      const text = formatSdp(first);
      assert.match(text, /^v=0\r\no=/);
      assert.ok(text.endsWith('\r\n'));
      assert.deepEqual(parseSdp(text), first);
    });
  }

  const malformed: [string, string][] = [
    ['empty text', ''],
    ['plain prose', 'hello world'],
    ['missing v=0', 'o=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n'],
    ['missing o=', 'v=0\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n'],
    ['a line without type=', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nthis is not sdp\r\n'],
    [
      'a non-numeric port',
      'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio abc RTP/AVP 0\r\n',
    ],
    [
      'a port above 65535',
      'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n',
    ],
    [
      'a payload type above 127',
      'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 4000 RTP/AVP 300\r\n',
    ],
    ['no connection address', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n'],
  ];
  for (const [what, text] of malformed) {
    it(`rejects ${what} with SDP_INVALID`, () => {
      assert.throws(
        () => parseSdp(text),
        (err: unknown) =>
          err instanceof AppError && err.code === 'SDP_INVALID' && err.message.startsWith('invalid SDP: '),
      );
    });
  }
});
