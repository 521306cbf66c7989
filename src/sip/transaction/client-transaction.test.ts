import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, TransactionTimeoutError, hasCode } from '../../shared/index.ts';
import { createResponse, getBranch, getCSeq } from '../message/index.ts';
import type { SipMessage, SipResponse } from '../message/index.ts';
import type { SendDestination } from '../transport/index.ts';
import { FakeTransport, peer, request } from '../testing/fake-transport.ts';
import { TransactionLayer } from './transaction-layer.ts';

const UDP: SendDestination = { transport: 'UDP', host: '127.0.0.1', port: 5070 };
const TCP: SendDestination = { transport: 'TCP', host: '127.0.0.1', port: 5070 };

function setup(): { clock: FakeClock; transport: FakeTransport; layer: TransactionLayer; t0: number } {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  return { clock, transport, layer: new TransactionLayer({ transport, clock }), t0: clock.now() };
}

const isMethod = (method: string) => (m: SipMessage) => m.kind === 'request' && m.method === method;

function answer(req: Parameters<typeof createResponse>[0], status: number): SipResponse {
  return createResponse(req, status, undefined, status > 100 ? { toTag: 'bob1' } : {});
}

describe('INVITE client transaction', () => {
  it('Timer A retransmits at 500, 1000, 2000… ms and Timer B times out at 64*T1', async () => {
    const { clock, transport, layer, t0 } = setup();
    const outcome = layer.request(request('INVITE', 'z9hG4bKa1'), UDP);
    clock.advance(31_999);
    assert.deepEqual(transport.times(isMethod('INVITE'), t0), [0, 500, 1500, 3500, 7500, 15500, 31500]);
    clock.advance(1);
    await assert.rejects(outcome, TransactionTimeoutError);
    assert.equal(layer.size.client, 0);
    assert.equal(clock.pending, 0);
  });

  it('does not retransmit over TCP but still times out with Timer B', async () => {
    const { clock, transport, layer, t0 } = setup();
    const tx = layer.sendRequest(request('INVITE', 'z9hG4bKa2', { transport: 'TCP' }), TCP);
    let timedOut = false;
    tx.on('timeout', () => (timedOut = true));
    clock.advance(32_000);
    assert.deepEqual(transport.times(isMethod('INVITE'), t0), [0]);
    assert.equal(timedOut, true);
  });

  it('a provisional stops retransmission; a 486 is ACKed, its retransmission re-ACKed, Timer D ends it', () => {
    const { clock, transport, layer } = setup();
    const invite = request('INVITE', 'z9hG4bKa3');
    const tx = layer.sendRequest(invite, UDP);
    const finals: number[] = [];
    let terminated = false;
    tx.on('final', (res) => finals.push(res.status));
    tx.on('terminated', () => (terminated = true));
    transport.deliver(answer(invite, 180), peer());
    assert.equal(tx.state, 'proceeding');
    clock.advance(10_000);
    assert.equal(transport.requests('INVITE').length, 1);
    transport.deliver(answer(invite, 486), peer());
    transport.deliver(answer(invite, 486), peer());
    const acks = transport.requests('ACK');
    assert.equal(acks.length, 2);
    assert.equal(getBranch(acks[0]!), 'z9hG4bKa3');
    assert.deepEqual(getCSeq(acks[0]!), { seq: 1, method: 'ACK' });
    assert.match(acks[0]!.headers.get('to') ?? '', /tag=bob1/);
    assert.deepEqual(finals, [486]);
    clock.advance(31_999);
    assert.equal(terminated, false);
    clock.advance(1);
    assert.equal(terminated, true);
  });

  it('a 2xx ends the transaction at once and its retransmission surfaces as strayResponse', async () => {
    const { transport, layer } = setup();
    const invite = request('INVITE', 'z9hG4bKa4');
    const stray: number[] = [];
    layer.on('strayResponse', (res) => stray.push(res.status));
    const outcome = layer.request(invite, UDP);
    transport.deliver(answer(invite, 200), peer());
    assert.equal((await outcome).status, 200);
    assert.equal(layer.size.client, 0);
    transport.deliver(answer(invite, 200), peer());
    assert.deepEqual(stray, [200]);
    assert.equal(transport.requests('ACK').length, 0, 'the ACK for a 2xx is the TU’s');
  });

  it('cancel() waits for a provisional, sends CANCEL on the same branch, and the 487 ends the INVITE', async () => {
    const { transport, layer } = setup();
    const invite = request('INVITE', 'z9hG4bKa5');
    const controller = new AbortController();
    const outcome = layer.request(invite, UDP, { signal: controller.signal });
    controller.abort();
    assert.equal(transport.requests('CANCEL').length, 0, 'no CANCEL before a provisional response');
    transport.deliver(answer(invite, 180), peer());
    const [cancel] = transport.requests('CANCEL');
    assert.ok(cancel);
    assert.equal(getBranch(cancel), 'z9hG4bKa5');
    assert.deepEqual(getCSeq(cancel), { seq: 1, method: 'CANCEL' });
    assert.equal(cancel.uri, invite.uri);
    transport.deliver(createResponse(cancel, 200), peer());
    transport.deliver(answer(invite, 487), peer());
    assert.equal((await outcome).status, 487);
    assert.equal(transport.requests('ACK').length, 1);
  });

  it('cancel() after the final response rejects with CANCEL_TOO_LATE', async () => {
    const { transport, layer } = setup();
    const invite = request('INVITE', 'z9hG4bKa6');
    const tx = layer.sendRequest(invite, UDP);
    assert.ok(tx.kind === 'invite-client');
    transport.deliver(answer(invite, 603), peer());
    await assert.rejects(tx.cancel(), (err) => hasCode(err, 'CANCEL_TOO_LATE'));
  });

  it('a transport failure surfaces as transportError and rejects request()', async () => {
    const { transport, layer } = setup();
    transport.failing = true;
    await assert.rejects(layer.request(request('INVITE', 'z9hG4bKa7'), UDP), (err) => hasCode(err, 'TRANSPORT_ERROR'));
    assert.equal(layer.size.client, 0);
  });
});

describe('non-INVITE client transaction', () => {
  it('Timer E doubles up to T2 and Timer F times out at 64*T1', async () => {
    const { clock, transport, layer, t0 } = setup();
    const outcome = layer.request(request('OPTIONS', 'z9hG4bKn1'), UDP);
    clock.advance(32_000);
    assert.deepEqual(
      transport.times(isMethod('OPTIONS'), t0),
      [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
    );
    await assert.rejects(outcome, TransactionTimeoutError);
  });

  it('retransmits every T2 once Proceeding', () => {
    const { clock, transport, layer, t0 } = setup();
    const req = request('BYE', 'z9hG4bKn2');
    layer.sendRequest(req, UDP);
    clock.advance(600);
    transport.deliver(answer(req, 100), peer());
    clock.advance(10_000);
    assert.deepEqual(transport.times(isMethod('BYE'), t0), [0, 500, 1500, 5500, 9500]);
  });

  it('Timer K absorbs response retransmissions for T4, and is zero over TCP', () => {
    const { clock, transport, layer } = setup();
    const req = request('OPTIONS', 'z9hG4bKn3');
    const tx = layer.sendRequest(req, UDP);
    const finals: number[] = [];
    tx.on('final', (res) => finals.push(res.status));
    transport.deliver(answer(req, 200), peer());
    transport.deliver(answer(req, 200), peer());
    assert.deepEqual(finals, [200]);
    assert.equal(tx.state, 'completed');
    clock.advance(4_999);
    assert.equal(tx.state, 'completed');
    clock.advance(1);
    assert.equal(tx.state, 'terminated');
    const overTcp = layer.sendRequest(request('OPTIONS', 'z9hG4bKn4', { transport: 'TCP' }), TCP);
    transport.deliver(answer(overTcp.request, 200), peer('TCP'));
    clock.advance(0);
    assert.equal(overTcp.state, 'terminated');
  });

  it('close() stops every timer: nothing is sent or fired afterwards', () => {
    const { clock, transport, layer } = setup();
    const tx = layer.sendRequest(request('OPTIONS', 'z9hG4bKn5'), UDP);
    let fired = false;
    tx.on('timeout', () => (fired = true));
    layer.close();
    assert.equal(clock.pending, 0);
    clock.advance(60_000);
    assert.equal(transport.sent.length, 1);
    assert.equal(fired, false);
  });
});
