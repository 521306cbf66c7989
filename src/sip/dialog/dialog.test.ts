import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { SipResponseError } from '../../shared/index.ts';
import { getCSeq, parseMessage, parseNameAddr, parseUri, parseVia } from '../message/index.ts';
import type { SipRequest } from '../message/index.ts';
import type { Dialog } from './dialog.ts';
import { DialogCore } from './dialog-core.ts';
import { glareRetryDelayMs } from './glare.ts';
import type { LoopbackNetwork } from '../testing/loopback-network.ts';
import { createUaPair } from '../testing/ua-pair.ts';
import type { UaPair } from '../testing/ua-pair.ts';
import type { UserAgentOptions } from './user-agent.ts';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const SDP2 = SDP.replace('4000', '4002');
const toBob = { transport: 'UDP' as const, host: '127.0.0.1', port: 5062 };
let pair: UaPair;

afterEach(async () => {
  await pair.close();
  assert.equal(pair.clock.pending, 0, 'no timer left behind');
});

/** A confirmed call alice → bob; `via` sends the INVITE through a proxy port. */
async function call(
  bobOptions: Partial<UserAgentOptions> = {},
  viaPort?: number,
): Promise<{ alice: Dialog; bob: Dialog }> {
  if (viaPort === undefined) pair = createUaPair(bobOptions);
  let bob: Dialog | undefined;
  pair.bob.on('invite', (inv) => {
    bob = inv.accept({ body: SDP });
  });
  const dest =
    viaPort === undefined ? {} : { destination: { transport: 'UDP' as const, host: '127.0.0.1', port: viaPort } };
  const { dialog } = await pair.alice.invite({ to: pair.bobUri, from: 'sip:alice@127.0.0.1', body: SDP, ...dest });
  await pair.settle();
  assert.ok(bob);
  return { alice: dialog, bob };
}

/** A loose-routing stateless proxy on 5070 that record-routes INVITEs. */
function startProxy(network: LoopbackNetwork): SipRequest[] {
  const seen: SipRequest[] = [];
  const copy = (req: SipRequest): SipRequest => ({ ...req, headers: req.headers.clone() });
  const proxy = network.endpoint(5070);
  let branch = 0;
  proxy.on('message', (msg) => {
    if (msg.kind === 'request') {
      seen.push(copy(msg));
      if (msg.headers.get('route')?.includes('127.0.0.1:5070')) msg.headers.shift('route');
      if (msg.method === 'INVITE') msg.headers.prepend('Record-Route', '<sip:127.0.0.1:5070;lr>');
      msg.headers.prepend('Via', `SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKproxy${branch++}`);
      const next = msg.headers.get('route');
      const uri = next === undefined ? parseUri(msg.uri) : parseNameAddr(next).uri;
      void proxy.send(msg, { transport: 'UDP', host: uri.host, port: uri.port ?? 5060 });
      return;
    }
    msg.headers.shift('via');
    const via = parseVia(msg.headers.get('via') ?? '');
    void proxy.send(msg, { transport: 'UDP', host: via.host, port: Number(via.params.get('rport') ?? via.port) });
  });
  return seen;
}

describe('Dialog state (RFC 3261 §12)', () => {
  it('route set from Record-Route through a proxy, CSeq incremented per request on each side', async () => {
    pair = createUaPair();
    const seen = startProxy(pair.network);
    const { alice, bob } = await call({}, 5070);
    assert.deepEqual(bob.core.routeSet, ['<sip:127.0.0.1:5070;lr>']);
    assert.deepEqual(alice.core.routeSet, ['<sip:127.0.0.1:5070;lr>']);
    assert.equal((await alice.info({ body: 'x', contentType: 'text/plain' })).status, 200);
    assert.equal((await bob.info({ body: 'y', contentType: 'text/plain' })).status, 200);
    await alice.bye();
    const methods = seen.map((r) => `${r.method} ${getCSeq(r).seq}`);
    assert.deepEqual(
      methods,
      ['INVITE 1', 'ACK 1', 'INFO 2', 'INFO 1', 'BYE 3'],
      'every in-dialog request went through the proxy',
    );
    const bye = seen.at(-1)!;
    assert.equal(bye.uri, 'sip:bob@127.0.0.1:5062', 'loose routing keeps the remote target as Request-URI');
    assert.equal(bye.headers.get('route'), '<sip:127.0.0.1:5070;lr>');
    assert.equal(bob.state, 'terminated');
  });

  it('DialogCore: strict router rewrite, target refresh, CSeq order', () => {
    pair = createUaPair();
    const core = new DialogCore({
      role: 'uac',
      state: 'confirmed',
      callId: 'c1',
      localTag: 'l',
      remoteTag: 'r',
      localUri: '<sip:a@x>',
      remoteUri: '<sip:b@y>',
      localSeq: 5,
      remoteTarget: 'sip:b@10.0.0.2:5080',
      routeSet: ['<sip:p1@10.0.0.9>', '<sip:p2@10.0.0.8;lr>'],
      secure: false,
    });
    const req = core.createRequest('INFO', 'SIP/2.0/UDP h;branch=z9hG4bKx');
    assert.equal(req.uri, 'sip:p1@10.0.0.9');
    assert.deepEqual(req.headers.getAll('route'), ['<sip:p2@10.0.0.8;lr>', '<sip:b@10.0.0.2:5080>']);
    assert.equal(getCSeq(req).seq, 6);
    assert.deepEqual(core.destination(), { transport: 'UDP', host: '10.0.0.9', port: 5060 });
    const refresh = parseMessage(
      Buffer.from(
        'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKy\r\nFrom: <sip:a@x>;tag=l\r\nTo: <sip:b@y>;tag=r\r\nCall-ID: c1\r\nCSeq: 6 INFO\r\nContact: <sip:b@10.0.0.3:5090;transport=tcp>\r\nContent-Length: 0\r\n\r\n',
      ),
    );
    core.refreshTarget(refresh);
    assert.equal(core.remoteTarget, 'sip:b@10.0.0.3:5090;transport=tcp');
    const incoming = (seq: number): SipRequest => {
      const m = parseMessage(
        Buffer.from(
          `INFO sip:a@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK${seq}\r\nFrom: <sip:b@y>;tag=r\r\nTo: <sip:a@x>;tag=l\r\nCall-ID: c1\r\nCSeq: ${seq} INFO\r\nContent-Length: 0\r\n\r\n`,
        ),
      );
      assert.ok(m.kind === 'request');
      return m;
    };
    assert.equal(core.acceptRemoteSeq(incoming(10)), true);
    assert.equal(core.acceptRemoteSeq(incoming(9)), false);
    assert.equal(core.acceptRemoteSeq(incoming(11)), true);
  });

  it('a request with a stale CSeq is 500, one for an unknown dialog 481', async () => {
    const { alice } = await call();
    await alice.info({ body: 'a', contentType: 'text/plain' });
    const stale = alice.createRequest('INFO');
    stale.headers.set('CSeq', '1 INFO');
    assert.equal((await pair.aliceLayer.request(stale, toBob)).status, 500);
    const unknown = alice.createRequest('BYE');
    unknown.headers.set('To', '<sip:bob@127.0.0.1:5062>;tag=nope');
    assert.equal((await pair.aliceLayer.request(unknown, toBob)).status, 481);
    assert.equal((await alice.options()).status, 200, 'the dialog survives both');
  });
});

describe('Dialog session requests', () => {
  it('re-INVITE both ways: answer SDP returned, ACK sent, the peer sees the ACK', async () => {
    const { alice, bob } = await call();
    bob.on('reinvite', (r) => r.accept({ body: SDP2, contentType: 'application/sdp' }));
    alice.on('reinvite', (r) => r.accept({ body: SDP, contentType: 'application/sdp' }));
    const bobAcks: number[] = [];
    bob.on('ack', (ack) => bobAcks.push(getCSeq(ack).seq));
    const res = await alice.reinvite({ body: SDP2, contentType: 'application/sdp' });
    assert.equal(res.body.toString(), SDP2);
    await pair.settle();
    assert.deepEqual(bobAcks, [2]);
    const back = await bob.reinvite({ body: SDP, contentType: 'application/sdp' });
    assert.equal(back.status, 200);
    await pair.settle();
    assert.equal(pair.network.requests('ACK', 5061).length, 1);
    assert.equal(alice.awaitingAck || bob.awaitingAck, false);
  });

  it('glare: crossing re-INVITEs are both answered 491, and a retry after the §14.1 delay succeeds', async () => {
    const { alice, bob } = await call();
    const offered: string[] = [];
    alice.on('reinvite', (r) => {
      offered.push('alice');
      r.accept({ body: SDP });
    });
    bob.on('reinvite', (r) => {
      offered.push('bob');
      r.accept({ body: SDP2 });
    });
    const fromAlice = alice.reinvite({ body: SDP2 }).then(
      () => 0,
      (err: unknown) => (err instanceof SipResponseError ? err.status : -1),
    );
    const fromBob = bob.reinvite({ body: SDP }).then(
      () => 0,
      (err: unknown) => (err instanceof SipResponseError ? err.status : -1),
    );
    assert.deepEqual(await Promise.all([fromAlice, fromBob]), [491, 491]);
    assert.deepEqual(offered, []);
    const waited = alice.waitGlareRetry();
    await pair.advance(4_000);
    await waited;
    assert.equal((await alice.reinvite({ body: SDP2 })).status, 200);
    assert.deepEqual(offered, ['bob']);
  });

  it('glare delay: 2.1-4 s for the Call-ID owner, 0-2 s otherwise, in 10 ms steps', () => {
    pair = createUaPair();
    assert.equal(
      glareRetryDelayMs(true, () => 0),
      2100,
    );
    assert.equal(
      glareRetryDelayMs(true, () => 0.999999),
      4000,
    );
    assert.equal(
      glareRetryDelayMs(false, () => 0),
      0,
    );
    assert.equal(
      glareRetryDelayMs(false, () => 0.999999),
      2000,
    );
    assert.equal(glareRetryDelayMs(false, () => 0.5) % 10, 0);
  });

  it('UPDATE both ways (RFC 3311): an offer gets the listener’s answer, a bodiless one is 200', async () => {
    const { alice, bob } = await call();
    bob.on('update', (u) => u.accept({ body: SDP2, contentType: 'application/sdp' }));
    const res = await alice.update({ body: SDP, contentType: 'application/sdp' });
    assert.equal(res.body.toString(), SDP2);
    assert.ok(res.headers.has('contact'), 'a 2xx to UPDATE carries Contact (target refresh)');
    assert.equal((await bob.update()).status, 200);
    await assert.rejects(
      bob.update({ body: SDP }),
      (err: unknown) => err instanceof SipResponseError && err.status === 488,
    );
  });

  it('INFO (RFC 6086): delivered with body and type; an unsupported type is 415', async () => {
    const { alice, bob } = await call({ infoContentTypes: ['application/dtmf-relay'] });
    const got: [string | undefined, string][] = [];
    bob.on('info', (req) => got.push([req.headers.get('content-type'), req.body.toString()]));
    await alice.info({ body: 'Signal=5\r\nDuration=160\r\n', contentType: 'application/dtmf-relay' });
    assert.deepEqual(got, [['application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n']]);
    await assert.rejects(
      alice.info({ body: 'hi', contentType: 'text/plain' }),
      (err: unknown) => err instanceof SipResponseError && err.status === 415,
    );
    assert.equal(got.length, 1);
  });

  it('REFER (RFC 3515): 202, then NOTIFYs with message/sipfrag ending in SIP/2.0 200 OK', async () => {
    const { alice, bob } = await call();
    let referTo = '';
    bob.on('refer', (r) => {
      referTo = r.referTo;
      r.accept();
      void r.notify('SIP/2.0 200 OK');
    });
    const notifies: [string, string | undefined, string | undefined][] = [];
    alice.on('notify', (req, frag) =>
      notifies.push([frag, req.headers.get('subscription-state'), req.headers.get('content-type')]),
    );
    const res = await alice.refer('sip:carol@127.0.0.1');
    assert.equal(res.status, 202);
    await pair.settle();
    assert.equal(referTo, '<sip:carol@127.0.0.1>');
    assert.deepEqual(notifies, [
      ['SIP/2.0 100 Trying\r\n', 'active;expires=60', 'message/sipfrag;version=2.0'],
      ['SIP/2.0 200 OK\r\n', 'terminated;reason=noresource', 'message/sipfrag;version=2.0'],
    ]);
    assert.equal(pair.network.responses(200, 'NOTIFY', 5062).length, 2);
  });

  it('a REFER nobody handles is declined (603); OPTIONS in the dialog is 200 with Allow', async () => {
    const { alice, bob } = await call();
    await assert.rejects(
      alice.refer('sip:carol@127.0.0.1'),
      (err: unknown) => err instanceof SipResponseError && err.status === 603,
    );
    const res = await bob.options();
    assert.equal(res.status, 200);
    assert.match(res.headers.getAll('allow').join(','), /UPDATE/);
  });

  it('BYE while a re-INVITE waits for its answer: the re-INVITE gets 487', async () => {
    const { alice, bob } = await call();
    bob.on('reinvite', () => {});
    const pending = alice.reinvite({ body: SDP2 }).then(
      () => 0,
      (err: unknown) => (err instanceof SipResponseError ? err.status : -1),
    );
    await pair.settle();
    await bob.bye();
    assert.equal(await pending, 487);
    assert.equal(alice.state, 'terminated');
  });
});
