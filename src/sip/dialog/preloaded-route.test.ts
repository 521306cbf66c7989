import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { createResponse } from '../message/index.ts';
import type { SipRequest } from '../message/index.ts';
import { createUaPair } from '../testing/ua-pair.ts';
import type { UaPair } from '../testing/ua-pair.ts';
import { preloadedRoute } from './destination.ts';

let pair: UaPair;

afterEach(async () => {
  await pair.close();
});

const ALICE = { transport: 'UDP' as const, host: '127.0.0.1', port: 5061 };
const EDGE = '<sip:127.0.0.1:5070;lr>';
const PHONE = 'sip:phone@192.0.2.20:5080';

/** The `index`th request of `method` that reached the proxy on 5070. */
function atProxy(p: UaPair, method: string, index = 0): SipRequest | undefined {
  const msg = p.network.requests(method, 5070)[index];
  return msg?.kind === 'request' ? msg : undefined;
}

/** A proxy on 5070 that answers every INVITE 200 as if the phone behind it did, record-routing itself. */
function answeringProxy(p: UaPair): void {
  const proxy = p.network.endpoint(5070);
  proxy.on('message', (msg) => {
    if (msg.kind !== 'request' || msg.method === 'ACK') return;
    const headers: [string, string][] =
      msg.method === 'INVITE'
        ? [
            ['Record-Route', '<sip:127.0.0.1:5070;lr;ftag=x>'],
            ['Contact', `<${PHONE}>`],
          ]
        : [];
    void proxy.send(createResponse(msg, 200, undefined, { toTag: 'phone', headers }), ALICE);
  });
}

describe('INVITE with a pre-loaded route set (RFC 3261 §8.1.2, RFC 3327 §5.3)', () => {
  it('loose router: sent to the route, Request-URI kept, Route carried; the dialog follows Record-Route', async () => {
    pair = createUaPair();
    answeringProxy(pair);
    const { dialog } = await pair.alice.invite({
      to: 'sip:1001@example.test',
      from: 'sip:alice@127.0.0.1',
      requestUri: PHONE,
      routes: [EDGE],
    });
    const invite = atProxy(pair, 'INVITE');
    assert.ok(invite, 'the INVITE went to the route, not to the phone');
    assert.equal(invite.uri, PHONE);
    assert.deepEqual(invite.headers.getAll('route'), [EDGE]);
    assert.deepEqual(dialog.core.routeSet, ['<sip:127.0.0.1:5070;lr;ftag=x>']);
    await pair.settle();
    const ack = atProxy(pair, 'ACK');
    assert.equal(ack?.uri, PHONE, 'the ACK goes through the proxy to the phone');
    await dialog.bye();
    const bye = atProxy(pair, 'BYE');
    assert.equal(bye?.uri, PHONE);
    assert.deepEqual(bye?.headers.getAll('route'), ['<sip:127.0.0.1:5070;lr;ftag=x>']);
  });

  it('CANCEL carries the INVITE Route (RFC 3261 §9.1)', async () => {
    pair = createUaPair();
    const proxy = pair.network.endpoint(5070);
    proxy.on('message', (msg) => {
      if (msg.kind !== 'request') return;
      if (msg.method === 'INVITE') void proxy.send(createResponse(msg, 180, undefined, { toTag: 'p' }), ALICE);
      if (msg.method === 'CANCEL') void proxy.send(createResponse(msg, 200), ALICE);
    });
    const outgoing = pair.alice.invite({ to: PHONE, from: 'sip:alice@127.0.0.1', routes: [EDGE] });
    await pair.settle();
    outgoing.cancel();
    await pair.settle();
    const cancel = atProxy(pair, 'CANCEL');
    assert.ok(cancel, 'the CANCEL went to the route');
    assert.deepEqual(cancel.headers.getAll('route'), [EDGE]);
    const invite = atProxy(pair, 'INVITE')!;
    void proxy.send(createResponse(invite, 487, undefined, { toTag: 'p' }), ALICE);
    await assert.rejects(outgoing.answer);
  });

  it('no route: the Request-URI; a strict router gets the Request-URI and the target goes last in Route', () => {
    assert.deepEqual(preloadedRoute(PHONE, []), {
      requestUri: PHONE,
      routes: [],
      destination: { transport: 'UDP', host: '192.0.2.20', port: 5080 },
    });
    assert.deepEqual(preloadedRoute(PHONE, ['<sip:198.51.100.1;transport=tcp>', EDGE]), {
      requestUri: 'sip:198.51.100.1;transport=tcp',
      routes: [EDGE, `<${PHONE}>`],
      destination: { transport: 'TCP', host: '198.51.100.1', port: 5060 },
    });
    assert.deepEqual(preloadedRoute(PHONE, [EDGE, '<sip:198.51.100.1;lr>']).routes, [EDGE, '<sip:198.51.100.1;lr>']);
  });
});
