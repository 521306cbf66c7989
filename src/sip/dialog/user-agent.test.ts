import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { SipResponseError, TransactionTimeoutError } from '../../shared/index.ts';
import { DigestChallenger } from '../auth/index.ts';
import { createResponse, getCSeq, getCallId, getTag, newBranch, parseMessage } from '../message/index.ts';
import type { SipRequest } from '../message/index.ts';
import type { Dialog } from './dialog.ts';
import type { IncomingInvite } from './incoming-invite.ts';
import { createUaPair } from '../testing/ua-pair.ts';
import type { UaPair } from '../testing/ua-pair.ts';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
let pair: UaPair;

afterEach(async () => {
  await pair.close();
  assert.equal(pair.clock.pending, 0, 'no timer left behind');
});

/** A raw request from alice's address to bob. */
function raw(lines: string[]): SipRequest {
  const msg = parseMessage(Buffer.from([...lines, 'Content-Length: 0', '', ''].join('\r\n')));
  assert.ok(msg.kind === 'request');
  return msg;
}

function outOfDialog(method: string, extra: string[] = []): SipRequest {
  return raw([
    `${method} sip:bob@127.0.0.1:5062 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5061;branch=${newBranch()}`,
    'Max-Forwards: 70',
    'From: <sip:alice@127.0.0.1>;tag=a1',
    'To: <sip:bob@127.0.0.1>',
    `Call-ID: ${newBranch()}`,
    `CSeq: 1 ${method}`,
    ...extra,
  ]);
}

const toBob = { transport: 'UDP' as const, host: '127.0.0.1', port: 5062 };

describe('UserAgent calls', () => {
  it('INVITE/180/200/ACK/BYE: both sides confirm the dialog and the callee sees who hung up', async () => {
    pair = createUaPair();
    let incoming: IncomingInvite | undefined;
    pair.bob.on('invite', (inv) => {
      incoming = inv;
      inv.progress(180);
      inv.accept({ body: SDP, contentType: 'application/sdp' });
    });
    const outgoing = pair.alice.invite({
      to: pair.bobUri,
      from: 'sip:alice@127.0.0.1',
      body: SDP,
      contentType: 'application/sdp',
    });
    const provisional: [number, Dialog | undefined][] = [];
    outgoing.on('provisional', (res, early) => provisional.push([res.status, early]));
    const { dialog, response } = await outgoing;
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), SDP);
    assert.equal(dialog.state, 'confirmed');
    assert.deepEqual(
      provisional.map(([s]) => s),
      [180],
    );
    assert.equal(provisional[0]?.[1], dialog, 'the early dialog of the 180 is the one the 200 confirmed');
    await pair.settle();
    const bobDialog = incoming?.dialog;
    assert.ok(bobDialog);
    assert.equal(bobDialog.state, 'confirmed');
    assert.equal(bobDialog.awaitingAck, false, 'the ACK stopped the 2xx retransmissions');
    assert.equal(pair.network.requests('ACK').length, 1);
    assert.equal(bobDialog.core.remoteTarget, 'sip:alice@127.0.0.1:5061');
    assert.equal(dialog.core.remoteTarget, 'sip:bob@127.0.0.1:5062');
    const ended = new Promise((resolve) => bobDialog.on('terminated', resolve));
    const bye = await dialog.bye();
    assert.equal(bye?.status, 200);
    assert.deepEqual(await ended, { by: 'remote', cause: 'bye' });
    assert.deepEqual(dialog.termination, { by: 'local', cause: 'bye' });
    const byeReq = pair.network.requests('BYE')[0];
    assert.ok(byeReq);
    assert.equal(getCSeq(byeReq).seq, 2, 'BYE takes the next local CSeq');
    assert.equal(pair.alice.dialogs.length + pair.bob.dialogs.length, 0);
  });

  it('retransmits the 2xx until the ACK arrives (a lost ACK is resent on the retransmitted 2xx)', async () => {
    pair = createUaPair();
    let acksDropped = 0;
    pair.network.drop = (p) => p.msg.kind === 'request' && p.msg.method === 'ACK' && acksDropped++ < 2;
    pair.bob.on('invite', (inv) => inv.accept({ body: SDP }));
    const { dialog } = await pair.alice.invite({ to: pair.bobUri, from: 'sip:alice@127.0.0.1' });
    await pair.advance(2_000);
    const oks = pair.network.responses(200, 'INVITE', 5061);
    assert.equal(oks.length, 3, 'original 200 plus retransmissions at T1 and 2*T1 (until the third ACK got through)');
    assert.equal(pair.network.requests('ACK').length, 1);
    assert.equal(pair.bob.dialogs[0]?.awaitingAck, false);
    await pair.advance(40_000, 1_000);
    assert.equal(pair.network.responses(200, 'INVITE', 5061).length, 3, 'no retransmission after the ACK');
    assert.equal(dialog.state, 'confirmed');
  });

  it('without an ACK for 64*T1 the callee ends the dialog with BYE (RFC 3261 §13.3.1.4)', async () => {
    pair = createUaPair();
    pair.network.drop = (p) => p.msg.kind === 'request' && p.msg.method === 'ACK';
    let incoming: IncomingInvite | undefined;
    pair.bob.on('invite', (inv) => {
      incoming = inv;
      inv.accept({ body: SDP });
    });
    const { dialog } = await pair.alice.invite({ to: pair.bobUri, from: 'sip:alice@127.0.0.1' });
    const acked = incoming!.waitForAck().then(
      () => 'acked',
      (err: unknown) => err,
    );
    const aliceEnded = new Promise((resolve) => dialog.on('terminated', resolve));
    await pair.advance(32_500, 500);
    assert.ok((await acked) instanceof TransactionTimeoutError);
    assert.deepEqual(incoming!.dialog?.termination, { by: 'local', cause: 'ack-timeout' });
    assert.deepEqual(await aliceEnded, { by: 'remote', cause: 'bye' });
    assert.ok(pair.network.responses(200, 'INVITE', 5061).length >= 7, '2xx retransmitted T1, 2T1, 4T1, then every T2');
  });

  it('CANCEL before the answer: 487 to the INVITE, the early dialogs end, the callee is told', async () => {
    pair = createUaPair();
    const cancelled: string[] = [];
    let bobEarly: Dialog | undefined;
    pair.bob.on('invite', (inv) => {
      bobEarly = inv.progress(180);
      inv.on('cancelled', () => cancelled.push('bob'));
    });
    const outgoing = pair.alice.invite({ to: pair.bobUri, from: 'sip:alice@127.0.0.1' });
    let aliceEarly: Dialog | undefined;
    outgoing.on('provisional', (_res, early) => {
      aliceEarly = early;
      outgoing.cancel();
    });
    await assert.rejects(outgoing.answer, (err: unknown) => err instanceof SipResponseError && err.status === 487);
    await pair.settle();
    assert.deepEqual(cancelled, ['bob']);
    assert.equal(bobEarly?.state, 'terminated');
    assert.equal(aliceEarly?.state, 'terminated');
    assert.equal(pair.network.responses(200, 'CANCEL').length, 1);
    assert.equal(pair.alice.dialogs.length + pair.bob.dialogs.length, 0);
  });

  it('answers a 401 once with digest credentials: same Call-ID, next CSeq', async () => {
    pair = createUaPair();
    const challenger = new DigestChallenger({ secret: Buffer.from('k'), clock: pair.clock });
    const seen: SipRequest[] = [];
    pair.bob.on('invite', (inv) => {
      seen.push(inv.request);
      const value = inv.request.headers.get('authorization');
      const creds = value === undefined ? undefined : challenger.parseAuthorization(value);
      if (!creds || challenger.verify(creds, { method: 'INVITE', password: 'secret', realm: 'test' }) !== 'ok') {
        return inv.reject(401, undefined, [
          ['WWW-Authenticate', challenger.challenge('test', { algorithms: ['MD5'] })[0]!],
        ]);
      }
      inv.accept({ body: SDP });
    });
    const { dialog } = await pair.alice.invite({
      to: pair.bobUri,
      from: 'sip:alice@127.0.0.1',
      auth: { username: 'alice', password: 'secret' },
    });
    assert.equal(seen.length, 2);
    assert.equal(getCallId(seen[1]!), getCallId(seen[0]!));
    assert.equal(getCSeq(seen[1]!).seq, 2);
    assert.equal(getTag(seen[1]!.headers, 'from'), getTag(seen[0]!.headers, 'from'));
    assert.equal(dialog.core.localSeq, 2, 'in-dialog requests continue after the retried INVITE');
  });

  it('a wrong password fails with the second 401', async () => {
    pair = createUaPair();
    pair.bob.on('invite', (inv) =>
      inv.reject(401, undefined, [['WWW-Authenticate', 'Digest realm="test", nonce="n1", qop="auth"']]),
    );
    const outgoing = pair.alice.invite({
      to: pair.bobUri,
      from: 'sip:alice@127.0.0.1',
      auth: { username: 'alice', password: 'x' },
    });
    await assert.rejects(outgoing.answer, (err: unknown) => err instanceof SipResponseError && err.status === 401);
    assert.equal(pair.network.requests('INVITE').length, 2);
  });

  it('forking: the first 2xx wins, a later 2xx from another branch is ACKed and BYEd', async () => {
    pair = createUaPair();
    const forker = pair.network.endpoint(5070);
    forker.on('message', (msg) => {
      if (msg.kind !== 'request') return;
      if (msg.method === 'INVITE') {
        for (const tag of ['fork-a', 'fork-b']) {
          const ok = createResponse(msg, 200, undefined, {
            toTag: tag,
            headers: [['Contact', `<sip:${tag}@127.0.0.1:5070>`]],
          });
          void forker.send(ok, { transport: 'UDP', host: '127.0.0.1', port: 5061 });
        }
      } else if (msg.method === 'BYE') {
        void forker.send(createResponse(msg, 200), { transport: 'UDP', host: '127.0.0.1', port: 5061 });
      }
    });
    const { dialog } = await pair.alice.invite({ to: 'sip:bob@127.0.0.1:5070', from: 'sip:alice@127.0.0.1' });
    await pair.settle();
    assert.equal(dialog.core.remoteTag, 'fork-a');
    const acks = pair.network.requests('ACK', 5070).map((m) => getTag(m.headers, 'to'));
    assert.deepEqual(acks.sort(), ['fork-a', 'fork-b']);
    const byes = pair.network.requests('BYE', 5070).map((m) => getTag(m.headers, 'to'));
    assert.deepEqual(byes, ['fork-b']);
    assert.equal(dialog.state, 'confirmed');
  });

  it('an INVITE nobody listens for is 480; rejection reaches the caller as SipResponseError', async () => {
    pair = createUaPair();
    const outgoing = pair.alice.invite({ to: pair.bobUri, from: 'sip:alice@127.0.0.1' });
    await assert.rejects(outgoing.answer, (err: unknown) => err instanceof SipResponseError && err.status === 480);
  });

  it('close() BYEs every confirmed dialog', async () => {
    pair = createUaPair();
    pair.bob.on('invite', (inv) => inv.accept({ body: SDP }));
    const { dialog } = await pair.alice.invite({ to: pair.bobUri, from: 'sip:alice@127.0.0.1' });
    await pair.settle();
    const bobDialog = pair.bob.dialogs[0];
    await pair.alice.close();
    await pair.settle();
    assert.deepEqual(dialog.termination, { by: 'local', cause: 'closed' });
    assert.deepEqual(bobDialog?.termination, { by: 'remote', cause: 'bye' });
    assert.throws(() => pair.alice.invite({ to: pair.bobUri, from: 'sip:alice@127.0.0.1' }), { code: 'UA_CLOSED' });
  });
});

describe('UserAgent out-of-dialog requests', () => {
  it('OPTIONS is 200 with Allow, Accept and Supported', async () => {
    pair = createUaPair();
    const res = await pair.alice.options(pair.bobUri);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('allow') ?? '', /INVITE/);
    assert.match(res.headers.getAll('allow').join(','), /REFER/);
    assert.ok(res.headers.has('accept'));
    assert.ok(res.headers.has('supported'));
  });

  it('an unknown method is 501, REGISTER without a registrar 405 with Allow, BYE outside a dialog 481', async () => {
    pair = createUaPair();
    const foo = await pair.aliceLayer.request(outOfDialog('FOO'), toBob);
    assert.equal(foo.status, 501);
    assert.equal((await pair.aliceLayer.request(outOfDialog('PUBLISH'), toBob)).status, 501);
    const register = await pair.aliceLayer.request(outOfDialog('REGISTER'), toBob);
    assert.equal(register.status, 405);
    assert.ok(register.headers.has('allow'));
    assert.equal((await pair.aliceLayer.request(outOfDialog('BYE'), toBob)).status, 481);
  });

  it('handle() gives REGISTER to the registrar', async () => {
    pair = createUaPair();
    const off = pair.bob.handle('REGISTER', (req, tx) => tx.respond(createResponse(req, 200)));
    assert.equal((await pair.aliceLayer.request(outOfDialog('REGISTER'), toBob)).status, 200);
    off();
    assert.equal((await pair.aliceLayer.request(outOfDialog('REGISTER'), toBob)).status, 405);
  });

  it('a malformed request is 400 with the reason; an unsupported Require is 420', async () => {
    pair = createUaPair();
    const bad = await pair.aliceLayer.request(outOfDialog('OPTIONS', ['Expires: soon']), toBob);
    assert.equal(bad.status, 400);
    assert.match(bad.reason, /Expires/);
    const required = await pair.aliceLayer.request(outOfDialog('OPTIONS', ['Require: foo-ext']), toBob);
    assert.equal(required.status, 420);
    assert.equal(required.headers.get('unsupported'), 'foo-ext');
  });
});
