import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { TestBrowserPeer, alterFingerprint } from '../../src/media/webrtc/test-browser-peer.ts';
import { WEBRTC_CONNECT_TIMEOUT_MS } from '../../src/telephony/signaling/webrtc-media-watch.ts';
import type { SipRequest } from '../../src/sip/index.ts';
import { RawWsSipClient, type InviteOutcome } from '../support/raw-ws-sip.ts';
import {
  createNumberWithFlow,
  expectStatus,
  startTestCallbin,
  waitForCall,
  waitForListedCall,
  type TestCallbin,
} from '../support/callbin.ts';

/** A real Chromium offer (`getUserMedia` audio), its address and port left as placeholders. */
const CHROMIUM_OFFER = readFileSync(new URL('../fixtures/webrtc/chromium-offer.sdp', import.meta.url), 'utf8');

function chromiumOffer(port: number, edit: (lines: string[]) => string[] = (l) => l): string {
  const lines = CHROMIUM_OFFER.trim()
    .replaceAll('{{ADDRESS}}', '127.0.0.1')
    .replaceAll('{{PORT}}', String(port))
    .split('\n');
  return `${edit(lines).join('\r\n')}\r\n`;
}

/** Only G722 audio and a VP8 video stream: nothing callbin speaks (RFC 3264 §6: 488). */
function onlyG722AndVp8(lines: string[]): string[] {
  const other = /^a=(rtpmap|fmtp|rtcp-fb):(\d+)/;
  const audio = lines
    .filter((l) => {
      const m = other.exec(l);
      return !m || m[2] === '9';
    })
    .map((l) => l.replace(/^(m=audio \d+ \S+) .*$/, '$1 9').replace(/^a=group:BUNDLE 0$/, 'a=group:BUNDLE 0 1'));
  const video = /^(a=(ice-ufrag|ice-pwd|fingerprint|setup|rtcp-mux)|c=)/;
  return [
    ...audio,
    audio.find((l) => l.startsWith('m=audio'))?.replace(/^m=audio (\d+) (\S+) 9$/, 'm=video $1 $2 96') ?? '',
    ...audio.filter((l) => video.test(l)),
    'a=mid:1',
    'a=sendrecv',
    'a=rtpmap:96 VP8/90000',
  ];
}

const PASSWORD = 'bad-input-secret-1';
const HOLD_FLOW = [{ type: 'answer' }, { type: 'sleep', option: { duration: 60_000 } }];

describe('hostile WebRTC input from a browser over SIP/WS (docs/webrtc.md "Failures")', () => {
  let cb: TestCallbin;
  let client: RawWsSipClient;
  let silent: Socket;
  let silentPort: number;
  const peers: TestBrowserPeer[] = [];
  const numbers = { mismatch: '+15557770001', valid: '+15557770002', never: '+15557770003', refused: '+15557770004' };

  before(async () => {
    // The utilisation guard answers 503 on a busy test machine (docs/security.md "Overload"); the SDP checks are the subject here.
    cb = await startTestCallbin({ sipWsPort: 0, overloadUtilisation: 0 });
    const ext = expectStatus(
      await cb.api('POST', '/v1.0/extensions', { extension: 'hostile', password: PASSWORD }),
      200,
    );
    for (const number of Object.values(numbers)) await createNumberWithFlow(cb, number, HOLD_FLOW);
    const url = `ws://127.0.0.1:${cb.handle.sip.wsPort}/`;
    client = new RawWsSipClient(url, {
      username: ext.username,
      password: PASSWORD,
      domain: cb.handle.config.sipDomain,
    });
    await client.opened();
    assert.equal((await client.register()).status, 200, 'the raw browser registers');
    // A UDP port that takes everything and answers nothing: a browser whose ICE never answers.
    silent = createSocket('udp4');
    silent.on('message', () => undefined);
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', () => resolve()));
    silentPort = silent.address().port;
  });

  after(async () => {
    client?.close();
    silent?.close();
    await Promise.all(peers.map((p) => p.close()));
    await cb?.close();
  });

  function newPeer(): TestBrowserPeer {
    const peer = new TestBrowserPeer();
    peers.push(peer);
    return peer;
  }

  async function expectRefused(sdp: string, allowed: readonly number[], what: string): Promise<void> {
    const { response } = await client.invite(numbers.refused, sdp);
    assert.ok(allowed.includes(response.status), `${what}: ${response.status} ${response.reason}`);
  }

  /** Waits for callbin's BYE in `call`, answers it, and returns the call as the API shows it once ended. */
  async function endedByCallbin(number: string, call: InviteOutcome, timeoutMs: number): Promise<any> {
    const bye = await client.waitForRequest('BYE', call.callId, timeoutMs);
    client.reply(bye, 200, 'OK');
    const listed = await waitForListedCall(cb, (c) => c.destination?.target === number);
    return waitForCall(cb, listed.id, (c) => c.status === 'hangup');
  }

  it('the unedited Chromium offer is answered 200 (the fixture is a valid offer)', async () => {
    const call = await client.invite(numbers.never, chromiumOffer(silentPort));
    assert.equal(call.response.status, 200, `${call.response.status} ${call.response.reason}`);
    client.ack(call);
    assert.match(call.response.body.toString('utf8'), /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m);
    // ICE never completes (the candidate answers nothing): callbin ends the call itself.
    const ended = await endedByCallbin(numbers.never, call, WEBRTC_CONNECT_TIMEOUT_MS + 10_000);
    assert.equal(ended.hangup_by, 'remote');
    assert.equal(ended.hangup_reason, 'failed');
  });

  it('an offer without a=ice-ufrag / a=ice-pwd is refused 488', async () => {
    await expectRefused(
      chromiumOffer(silentPort, (l) => l.filter((x) => !x.startsWith('a=ice-ufrag'))),
      [488],
      'no ice-ufrag',
    );
    await expectRefused(
      chromiumOffer(silentPort, (l) => l.filter((x) => !x.startsWith('a=ice-pwd'))),
      [488],
      'no ice-pwd',
    );
  });

  it('an offer without a=fingerprint is refused 488', async () => {
    await expectRefused(
      chromiumOffer(silentPort, (l) => l.filter((x) => !x.startsWith('a=fingerprint'))),
      [488],
      'no fingerprint',
    );
  });

  it('an offer with no codec in common (G722 audio, VP8 video) is refused 488', async () => {
    await expectRefused(chromiumOffer(silentPort, onlyG722AndVp8), [488], 'G722 + VP8 only');
  });

  it('a mangled SDP is refused 400 or 488, whatever it is', async () => {
    const valid = chromiumOffer(silentPort);
    const mangled: [string, string][] = [
      ['binary garbage', '\u0000\u0001\u0002\u00ff garbage \r\n\r\n'],
      ['half an offer', valid.slice(0, Math.floor(valid.length / 2))],
      ['no m= line', valid.replace(/^m=audio .*$/m, 'x=audio')],
      ['a port that is no number', valid.replace(/^m=audio \d+/m, 'm=audio notaport')],
      ['a fingerprint that is no hex', valid.replace(/^a=fingerprint:sha-256 .*$/m, 'a=fingerprint:sha-256 zz:zz')],
      ['an m= line without formats', valid.replace(/^(m=audio \d+ \S+) .*$/m, '$1')],
      [
        'a codec line without a clock rate',
        valid.replace(/^m=audio (\d+) (\S+) .*$/m, 'm=audio $1 $2 111').replace('opus/48000/2', 'opus'),
      ],
    ];
    for (const [what, sdp] of mangled) await expectRefused(sdp, [400, 488], what);
  });

  it('a DTLS certificate that does not match the offered fingerprint: callbin BYEs, the call ends `failed`', async () => {
    const peer = newPeer();
    const call = await client.invite(numbers.mismatch, alterFingerprint(await peer.offer()));
    assert.equal(call.response.status, 200, `${call.response.status} ${call.response.reason}`);
    client.ack(call);
    await peer.accept(call.response.body.toString('utf8'));
    // ICE passes, then the DTLS handshake shows a certificate the offer did not announce.
    const ended = await endedByCallbin(numbers.mismatch, call, WEBRTC_CONNECT_TIMEOUT_MS);
    assert.equal(ended.hangup_by, 'remote');
    assert.equal(ended.hangup_reason, 'failed');
  });

  it('a call TO the browser whose DTLS certificate does not match its answer: callbin BYEs, the call ends `failed`', async () => {
    const created = expectStatus(
      await cb.api('POST', '/v1.0/calls', {
        source: { type: 'tel', target: '+15557770100' },
        destinations: [{ type: 'extension', target: 'hostile' }],
        actions: HOLD_FLOW.slice(1),
      }),
      200,
    );
    const id = created.calls[0].id as string;
    const invite = (await client.waitFor(
      (m) => m.kind === 'request' && m.method === 'INVITE',
      'an INVITE to the browser',
      10_000,
    )) as SipRequest;
    assert.match(invite.body.toString('utf8'), /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m, 'a WebRTC offer');
    const peer = newPeer();
    client.accept(invite, alterFingerprint(await peer.answer(invite.body.toString('utf8'))));
    const callId = invite.headers.get('call-id') ?? '';
    await client.waitForRequest('ACK', callId);
    const bye = await client.waitForRequest('BYE', callId, WEBRTC_CONNECT_TIMEOUT_MS);
    client.reply(bye, 200, 'OK');
    const ended = await waitForCall(cb, id, (c) => c.status === 'hangup');
    assert.equal(ended.hangup_by, 'remote');
    assert.equal(ended.hangup_reason, 'failed');
  });

  it('after all that, a valid call connects, carries media and ends normally', async () => {
    const peer = newPeer();
    const call = await client.invite(numbers.valid, await peer.offer());
    assert.equal(call.response.status, 200, `${call.response.status} ${call.response.reason}`);
    client.ack(call);
    await peer.accept(call.response.body.toString('utf8'));
    await peer.connected();
    const deadline = Date.now() + 5_000;
    while (peer.received.length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(peer.received.length >= 10, `RTP from callbin over SRTP: ${peer.received.length} packets`);
    const listed = await waitForListedCall(cb, (c) => c.destination?.target === numbers.valid);
    assert.equal(listed.status, 'progressing');
    assert.equal((await client.bye(call)).status, 200);
    const ended = await waitForCall(cb, listed.id, (c) => c.status === 'hangup');
    assert.equal(ended.hangup_by, 'remote');
    assert.equal(ended.hangup_reason, 'normal');
  });

  it('garbage on the WebSocket is dropped or closes that socket; callbin keeps serving', async () => {
    const url = `ws://127.0.0.1:${cb.handle.sip.wsPort}/`;
    const rogue = new RawWsSipClient(url, client.account);
    await rogue.opened();
    rogue.ws.send('\u0000\u0001not sip at all\r\n\r\n');
    rogue.ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    rogue.ws.send('INVITE sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n');
    rogue.close();
    const fresh = new RawWsSipClient(url, client.account);
    await fresh.opened();
    try {
      assert.equal((await fresh.register()).status, 200);
    } finally {
      fresh.close();
    }
    expectStatus(await cb.api('GET', '/v1.0/calls'), 200);
  });
});
