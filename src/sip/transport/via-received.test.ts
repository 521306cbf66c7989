import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResponse, parseMessage, parseVia } from '../message/index.ts';
import type { SipRequest } from '../message/index.ts';
import { responseDestination } from './response-destination.ts';
import type { MessageSource } from './transport-types.ts';
import { stampReceived } from './via-received.ts';

function req(via: string): SipRequest {
  const text = `OPTIONS sip:a@b SIP/2.0\r\nVia: ${via}\r\nVia: SIP/2.0/UDP proxy.example:5060;branch=z9hG4bKp\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n`;
  const msg = parseMessage(Buffer.from(text));
  assert.ok(msg.kind === 'request');
  return msg;
}

const udp: MessageSource = {
  transport: 'UDP',
  address: '192.0.2.7',
  port: 40000,
  local: { address: '127.0.0.1', port: 5060 },
};

describe('stampReceived and responseDestination', () => {
  it('leaves a Via alone when the sent-by host is the source and no rport is asked', () => {
    const r = req('SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK1');
    stampReceived(r, udp);
    assert.equal(r.headers.get('via'), 'SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK1');
    assert.deepEqual(responseDestination(createResponse(r, 200)), { transport: 'UDP', host: '192.0.2.7', port: 5062 });
  });

  it('adds received when the host differs and answers to received at the sent-by port (RFC 3261 §18.2.2)', () => {
    const r = req('SIP/2.0/UDP pc33.example.com;branch=z9hG4bK2');
    stampReceived(r, udp);
    const via = parseVia(r.headers.get('via') ?? '');
    assert.equal(via.params.get('received'), '192.0.2.7');
    assert.equal(r.headers.getAll('via').length, 2, 'only the top Via changes');
    assert.deepEqual(responseDestination(createResponse(r, 200)), { transport: 'UDP', host: '192.0.2.7', port: 5060 });
  });

  it('fills an empty rport and answers to the source port (RFC 3581 §4)', () => {
    const r = req('SIP/2.0/UDP 192.0.2.7:5062;rport;branch=z9hG4bK3');
    stampReceived(r, udp);
    const via = parseVia(r.headers.get('via') ?? '');
    assert.equal(via.params.get('rport'), '40000');
    assert.equal(via.params.get('received'), '192.0.2.7');
    assert.deepEqual(responseDestination(createResponse(r, 200)), { transport: 'UDP', host: '192.0.2.7', port: 40000 });
  });

  it('answers on the request’s connection over TCP', () => {
    const tcp: MessageSource = { ...udp, transport: 'TCP', connectionId: 'tcp-9' };
    const r = req('SIP/2.0/TCP 192.0.2.7:5062;branch=z9hG4bK4');
    stampReceived(r, tcp);
    assert.deepEqual(responseDestination(createResponse(r, 200), tcp), {
      transport: 'TCP',
      host: '192.0.2.7',
      port: 40000,
      connectionId: 'tcp-9',
    });
    assert.deepEqual(responseDestination(createResponse(r, 200)), { transport: 'TCP', host: '192.0.2.7', port: 5062 });
  });
});
