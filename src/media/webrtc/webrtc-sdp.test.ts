import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../shared/index.ts';
import { isWebRtcOffer, webRtcCredentials } from './webrtc-sdp.ts';

const BROWSER = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=fingerprint:sha-256 9B:43:D7:31:9A:FC:96:AC:03:69:94:C6:CA:25:F7:89:CB:AD:A0:57:27:A8:A1:D9:52:34:87:F7:C8:AA:FC:E4',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 126',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:0123456789abcdefghijkl',
  'a=setup:actpass',
  'a=mid:0',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:126 telephone-event/8000',
  '',
].join('\r\n');

const PHONE = 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

function invalid(err: unknown): boolean {
  return err instanceof AppError && err.code === 'SDP_WEBRTC_INVALID';
}

describe('WebRTC SDP checks', () => {
  it('tells a browser offer (UDP/TLS/RTP/SAVPF) from a phone offer (RTP/AVP)', () => {
    assert.equal(isWebRtcOffer(BROWSER), true);
    assert.equal(isWebRtcOffer(PHONE), false);
    assert.equal(isWebRtcOffer('garbage\0\0'), false);
  });

  it('reads ICE credentials at media level and the fingerprint at session level', () => {
    assert.deepEqual(webRtcCredentials(BROWSER), {
      iceUfrag: 'abcd',
      icePwd: '0123456789abcdefghijkl',
      fingerprints: [
        'sha-256 9B:43:D7:31:9A:FC:96:AC:03:69:94:C6:CA:25:F7:89:CB:AD:A0:57:27:A8:A1:D9:52:34:87:F7:C8:AA:FC:E4',
      ],
    });
  });

  it('refuses a description without ICE credentials, a fingerprint or a DTLS-SRTP audio stream', () => {
    assert.throws(() => webRtcCredentials(BROWSER.replace(/a=ice-pwd:.*\r\n/, '')), invalid);
    assert.throws(() => webRtcCredentials(BROWSER.replace(/a=ice-ufrag:.*\r\n/, '')), invalid);
    assert.throws(() => webRtcCredentials(BROWSER.replace(/a=fingerprint:.*\r\n/, '')), invalid);
    assert.throws(
      () => webRtcCredentials(BROWSER.replace('a=fingerprint:sha-256 9B', 'a=fingerprint:sha-256 zz')),
      invalid,
    );
    assert.throws(() => webRtcCredentials(PHONE), invalid);
  });
});
