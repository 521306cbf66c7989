import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { SipMessage } from '../message/index.ts';
import { SipTransport } from './sip-transport.ts';
import { startsLikeSip } from './ws-connection.ts';

const OPTIONS =
  'OPTIONS sip:callbin@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WS h.invalid;branch=z9hG4bKws1\r\n' +
  'Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:callbin@127.0.0.1>\r\n' +
  'Call-ID: ws1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';

async function client(port: number): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'sip');
  await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return { ws, closed };
}

describe('WsConnection (RFC 7118)', () => {
  const transport = new SipTransport();
  let port = 0;
  before(async () => {
    port = (await transport.listenWs({ host: '127.0.0.1', port: 0, path: '/' })).port;
  });
  after(() => transport.close());

  it('startsLikeSip: request and status lines, keep-alive whitespace; not binary noise or text', () => {
    assert.ok(startsLikeSip(Buffer.from(OPTIONS)));
    assert.ok(startsLikeSip(Buffer.from('\r\nREGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/WS h')));
    assert.ok(startsLikeSip(Buffer.from('SIP/2.0 200 OK\r\n\r\n')));
    assert.ok(startsLikeSip(Buffer.from('\r\n\r\n')));
    assert.ok(!startsLikeSip(Buffer.from([0, 1, 0xff, 0x20, 0x41])));
    assert.ok(!startsLikeSip(Buffer.from('hello world')));
    assert.ok(!startsLikeSip(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')));
  });

  it('a frame that is not SIP closes the WebSocket with 1002 and is counted as malformed', async () => {
    const malformed = transport.stats().malformed;
    const { ws, closed } = await client(port);
    ws.send(Buffer.from([0, 1, 2, 0xff, 0x20, 0x41]));
    assert.equal(await closed, 1002);
    assert.equal(transport.stats().malformed, malformed + 1);
  });

  it('a keep-alive CRLF frame and a SIP message leave the WebSocket open', async () => {
    const { ws, closed } = await client(port);
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    const got = new Promise<SipMessage>((resolve) => {
      const off = transport.on('message', (msg) => (off(), resolve(msg)));
    });
    ws.send('\r\n\r\n');
    ws.send(OPTIONS);
    assert.equal((await got).kind, 'request');
    assert.equal(isClosed, false);
    ws.close();
  });
});
