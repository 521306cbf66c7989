import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidStateError } from '../shared/index.ts';
import { parseSdp } from '../sdp/index.ts';
import { MediaSdpSession, previewAnswer } from './media-sdp-session.ts';

const isState =
  (code: string) =>
  (e: unknown): boolean =>
    e instanceof InvalidStateError && e.code === code;

describe('MediaSdpSession', () => {
  it('re-offers carry the same session id with a higher version and the hold direction', () => {
    const caller = new MediaSdpSession('127.0.0.1', ['PCMU', 'PCMA']);
    const callee = new MediaSdpSession('127.0.0.1', ['PCMA']);
    const offer = caller.createOffer(30000);
    const { answerSdp, plan } = callee.answer(offer, 30002);
    assert.equal(plan.codec.name, 'PCMA');
    assert.deepEqual(plan.remote, { address: '127.0.0.1', port: 30000 });
    assert.equal(caller.applyAnswer(answerSdp).codec.name, 'PCMA');
    const hold = parseSdp(caller.reoffer(true));
    assert.equal(hold.origin.sessionId, parseSdp(offer).origin.sessionId);
    assert.equal(hold.origin.sessionVersion, parseSdp(offer).origin.sessionVersion + 1);
    assert.equal(hold.media[0]?.direction, 'sendonly');
    const held = callee.answer(caller.reoffer(true), 30002).plan;
    assert.deepEqual([held.send, held.receive], [false, true]);
  });

  it('an abandoned re-offer leaves the previous state; answers need a pending offer', () => {
    const caller = new MediaSdpSession('127.0.0.1', ['PCMU']);
    const callee = new MediaSdpSession('127.0.0.1', ['PCMU']);
    assert.throws(() => caller.reoffer(true), isState('MEDIA_NOT_NEGOTIATED'));
    caller.applyAnswer(callee.answer(caller.createOffer(30000), 30002).answerSdp);
    assert.throws(() => caller.applyAnswer('v=0'), isState('MEDIA_NO_PENDING_OFFER'));
    caller.reoffer(true);
    assert.equal(caller.awaitingAnswer, true);
    caller.abandonOffer();
    assert.equal(caller.awaitingAnswer, false);
    const answer = callee.answer(caller.reoffer(false), 30002);
    assert.deepEqual([answer.plan.send, answer.plan.receive], [true, true]);
  });

  it('a c=0.0.0.0 hold gives no remote address and no sending', () => {
    const offer = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
    const plan = previewAnswer(offer, ['PCMU']);
    assert.equal(plan.remote, undefined);
    assert.equal(plan.send, false);
    assert.equal(plan.telephoneEventPt, undefined);
  });
});
