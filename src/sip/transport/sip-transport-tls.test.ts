import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { selfSignedCertificate } from '../../../test/support/certificate.ts';
import { hasCode } from '../../shared/index.ts';
import { createResponse, parseMessage } from '../message/index.ts';
import type { SipMessage } from '../message/index.ts';
import { responseDestination } from './response-destination.ts';
import { SipTransport } from './sip-transport.ts';
import type { MessageSource } from './transport-types.ts';

function selfSigned(): { cert: Buffer; key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'callbin-tls-'));
  try {
    const { cert, key } = selfSignedCertificate(dir);
    return { cert, key };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('SipTransport over TLS', () => {
  const { cert, key } = selfSigned();
  const server = new SipTransport({ tls: { cert, key } });
  const client = new SipTransport({ tls: { cert, key, ca: cert } });
  let tlsPort = 0;

  before(async () => {
    tlsPort = (await server.listenTls({ host: '127.0.0.1', port: 0 })).port;
  });
  after(async () => {
    await server.close();
    await client.close();
  });

  it('refuses a TLS listener without certificate and key', () => {
    const plain = new SipTransport();
    assert.throws(
      () => plain.listenTls({ host: '127.0.0.1', port: 0 }),
      (err) => hasCode(err, 'TLS_NOT_CONFIGURED'),
    );
  });

  it('carries a request over an outbound TLS connection and the response back on it', async () => {
    const inbound = new Promise<[SipMessage, MessageSource]>((resolve) =>
      server.on('message', (m, s) => resolve([m, s])),
    );
    const responses = new Promise<SipMessage>((resolve) => client.on('message', (m) => resolve(m)));
    const text =
      'OPTIONS sip:callbin@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKtls\r\n' +
      'From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:callbin@127.0.0.1>\r\nCall-ID: tls-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n';
    await client.send(parseMessage(Buffer.from(text)), { transport: 'TLS', host: '127.0.0.1', port: tlsPort });
    const [req, source] = await inbound;
    assert.equal(source.transport, 'TLS');
    assert.ok(req.kind === 'request');
    const res = createResponse(req, 200);
    await server.send(res, responseDestination(res, source));
    const got = await responses;
    assert.ok(got.kind === 'response' && got.status === 200);
    assert.equal(client.stats().connections, 1);
  });
});
