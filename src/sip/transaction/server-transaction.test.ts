import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, hasCode } from '../../shared/index.ts';
import { createResponse } from '../message/index.ts';
import type { SipMessage, SipRequest } from '../message/index.ts';
import { FakeTransport, peer, request } from '../testing/fake-transport.ts';
import type { ServerTransaction } from './transaction-layer.ts';
import { TransactionLayer } from './transaction-layer.ts';

function setup(): {
  clock: FakeClock;
  transport: FakeTransport;
  layer: TransactionLayer;
  t0: number;
  incoming: [SipRequest, ServerTransaction][];
} {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const layer = new TransactionLayer({ transport, clock });
  const incoming: [SipRequest, ServerTransaction][] = [];
  layer.on('request', (req, tx) => incoming.push([req, tx]));
  return { clock, transport, layer, t0: clock.now(), incoming };
}

const status = (code: number) => (m: SipMessage) => m.kind === 'response' && m.status === code;

describe('INVITE server transaction', () => {
  it('sends 100 Trying when the TU has not answered within 200 ms, and not when it has', () => {
    const { clock, transport, incoming } = setup();
    transport.deliver(request('INVITE', 'z9hG4bKs1'), peer());
    clock.advance(199);
    assert.equal(transport.responses(100).length, 0);
    clock.advance(1);
    assert.equal(transport.responses(100).length, 1);
    assert.equal(transport.sent[0]?.dest.port, 5070);
    transport.deliver(request('INVITE', 'z9hG4bKs2'), peer());
    const [, tx] = incoming[1]!;
    tx.respond(createResponse(tx.request, 180, undefined, { toTag: 't' }));
    clock.advance(1_000);
    assert.equal(transport.responses(100).length, 1);
  });

  it('absorbs INVITE retransmissions, resending the last provisional response', () => {
    const { transport, incoming } = setup();
    const invite = request('INVITE', 'z9hG4bKs3');
    transport.deliver(invite, peer());
    incoming[0]![1].respond(createResponse(invite, 180, undefined, { toTag: 't' }));
    transport.deliver(request('INVITE', 'z9hG4bKs3'), peer());
    assert.equal(incoming.length, 1);
    assert.equal(transport.responses(180).length, 2);
  });

  it('Timer G retransmits a non-2xx final doubling to T2; Timer H times out without ACK', () => {
    const { clock, transport, incoming, t0 } = setup();
    transport.deliver(request('INVITE', 'z9hG4bKs4'), peer());
    const [req, tx] = incoming[0]!;
    tx.respond(createResponse(req, 486, undefined, { toTag: 't' }));
    let timedOut = false;
    tx.on('timeout', () => (timedOut = true));
    clock.advance(31_999);
    assert.deepEqual(
      transport.times(status(486), t0),
      [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
    );
    assert.equal(timedOut, false);
    clock.advance(1);
    assert.equal(timedOut, true);
    assert.equal(tx.state, 'terminated');
  });

  it('the ACK stops Timer G; Timer I absorbs ACK retransmissions for T4', () => {
    const { clock, transport, layer, incoming } = setup();
    const acks: SipRequest[] = [];
    layer.on('ack', (ack) => acks.push(ack));
    transport.deliver(request('INVITE', 'z9hG4bKs5'), peer());
    const [req, tx] = incoming[0]!;
    tx.respond(createResponse(req, 404, undefined, { toTag: 't' }));
    clock.advance(600);
    transport.deliver(request('ACK', 'z9hG4bKs5', { toTag: 't' }), peer());
    assert.equal(tx.state, 'confirmed');
    clock.advance(4_000);
    transport.deliver(request('ACK', 'z9hG4bKs5', { toTag: 't' }), peer());
    assert.equal(transport.responses(404).length, 2);
    assert.equal(acks.length, 0, 'ACKs for non-2xx are absorbed');
    clock.advance(1_000);
    assert.equal(tx.state, 'terminated');
  });

  it('does not retransmit over TCP, and the ACK ends the transaction at once', () => {
    const { clock, transport, incoming } = setup();
    transport.deliver(request('INVITE', 'z9hG4bKs6', { transport: 'TCP' }), peer('TCP'));
    const [req, tx] = incoming[0]!;
    tx.respond(createResponse(req, 503, undefined, { toTag: 't' }));
    clock.advance(10_000);
    assert.equal(transport.responses(503).length, 1);
    assert.equal(transport.sent.at(-1)?.dest.connectionId, 'c1');
    transport.deliver(request('ACK', 'z9hG4bKs6', { transport: 'TCP', toTag: 't' }), peer('TCP'));
    clock.advance(0);
    assert.equal(tx.state, 'terminated');
  });

  it('after a 2xx: INVITE retransmissions are absorbed, the 2xx ACK goes to the TU, Timer L ends it', () => {
    const { clock, transport, layer, incoming } = setup();
    const acks: SipRequest[] = [];
    layer.on('ack', (ack) => acks.push(ack));
    transport.deliver(request('INVITE', 'z9hG4bKs7'), peer());
    const [req, tx] = incoming[0]!;
    tx.respond(createResponse(req, 200, undefined, { toTag: 't' }));
    assert.equal(tx.state, 'accepted');
    transport.deliver(request('INVITE', 'z9hG4bKs7'), peer());
    assert.equal(incoming.length, 1);
    assert.equal(transport.responses(200).length, 1, 'the 2xx is retransmitted by the TU, not the transaction');
    transport.deliver(request('ACK', 'z9hG4bKs7ack', { toTag: 't' }), peer());
    assert.equal(acks.length, 1);
    clock.advance(32_000);
    assert.equal(tx.state, 'terminated');
    assert.throws(
      () => tx.respond(createResponse(req, 486)),
      (err) => hasCode(err, 'INVALID_STATE'),
    );
  });

  it('a CANCEL is answered 200 by the layer, the TU hears cancelled and answers 487', () => {
    const { transport, incoming } = setup();
    transport.deliver(request('INVITE', 'z9hG4bKs8'), peer());
    const [req, tx] = incoming[0]!;
    let cancelled = 0;
    tx.on('cancelled', () => {
      cancelled += 1;
      tx.respond(createResponse(req, 487, undefined, { toTag: 't' }));
    });
    transport.deliver(request('CANCEL', 'z9hG4bKs8'), peer());
    assert.equal(cancelled, 1);
    assert.equal(incoming.length, 1, 'the CANCEL is not offered to the TU');
    const cancel200 = transport.responses(200)[0];
    assert.match(cancel200?.headers.get('cseq') ?? '', /CANCEL/);
    assert.equal(transport.responses(487).length, 1);
    transport.deliver(request('CANCEL', 'z9hG4bKs8'), peer());
    assert.equal(transport.responses(200).length, 2, 'a retransmitted CANCEL gets the same 200');
    assert.equal(cancelled, 1);
  });

  it('a CANCEL matching nothing gets 481', () => {
    const { transport } = setup();
    transport.deliver(request('CANCEL', 'z9hG4bKnothing'), peer());
    assert.equal(transport.responses(481).length, 1);
  });
});

describe('non-INVITE server transaction', () => {
  it('absorbs retransmissions silently while Trying, then resends the final; Timer J ends it', () => {
    const { clock, transport, incoming } = setup();
    transport.deliver(request('OPTIONS', 'z9hG4bKo1'), peer());
    transport.deliver(request('OPTIONS', 'z9hG4bKo1'), peer());
    assert.equal(incoming.length, 1);
    assert.equal(transport.sent.length, 0);
    const [req, tx] = incoming[0]!;
    tx.respond(createResponse(req, 200, undefined, { toTag: 't' }));
    transport.deliver(request('OPTIONS', 'z9hG4bKo1'), peer());
    assert.equal(transport.responses(200).length, 2);
    clock.advance(31_999);
    assert.equal(tx.state, 'completed');
    clock.advance(1);
    assert.equal(tx.state, 'terminated');
    transport.deliver(request('OPTIONS', 'z9hG4bKo1'), peer());
    assert.equal(incoming.length, 2, 'after Timer J the same branch is a new request');
  });

  it('Timer J is zero over TCP', () => {
    const { clock, transport, incoming } = setup();
    transport.deliver(request('BYE', 'z9hG4bKo2', { transport: 'TCP' }), peer('TCP'));
    const [req, tx] = incoming[0]!;
    tx.respond(createResponse(req, 200));
    clock.advance(0);
    assert.equal(tx.state, 'terminated');
  });

  it('a same-branch request of another method is its own transaction', () => {
    const { transport, incoming } = setup();
    transport.deliver(request('OPTIONS', 'z9hG4bKo3'), peer());
    transport.deliver(request('INFO', 'z9hG4bKo3'), peer());
    assert.deepEqual(
      incoming.map(([r]) => r.method),
      ['OPTIONS', 'INFO'],
    );
  });
});
