import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/index.ts';
import { ValidationError } from '../../src/shared/index.ts';
import { digestAuthorization, newBranch, newCallId, newTag, parseMessage } from '../../src/sip/index.ts';
import type { SipMessage, SipResponse } from '../../src/sip/index.ts';
import { selfSignedCertificate, type SelfSignedCertificate } from '../support/certificate.ts';
import { expectStatus, startTestCallbin, type TestCallbin } from '../support/callbin.ts';

/** A SIP-over-WSS client: one `ws` connection trusting the test certificate, one message per frame. */
class WssClient {
  readonly ws: WebSocket;
  readonly #queue: SipMessage[] = [];
  readonly #waiters: ((m: SipMessage) => void)[] = [];

  constructor(url: string, ca: Buffer, protocol = 'sip') {
    this.ws = new WebSocket(url, protocol, { ca });
    this.ws.on('message', (data: Buffer) => {
      const msg = parseMessage(Buffer.from(data));
      const waiter = this.#waiters.shift();
      if (waiter) waiter(msg);
      else this.#queue.push(msg);
    });
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => (this.ws.once('open', () => resolve()), this.ws.once('error', reject)));
  }

  closed(): Promise<number> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve(0);
    return new Promise((resolve) => this.ws.once('close', (code: number) => resolve(code)));
  }

  next(): Promise<SipMessage> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no SIP message within 5 s')), 5_000);
      this.#waiters.push((m) => (clearTimeout(timer), resolve(m)));
    });
  }

  async request(text: string): Promise<SipResponse> {
    this.ws.send(text);
    const msg = await this.next();
    assert.equal(msg.kind, 'response');
    return msg as SipResponse;
  }
}

function register(o: { user: string; domain: string; callId: string; cseq: number; authorization?: string }): string {
  return [
    `REGISTER sip:${o.domain} SIP/2.0`,
    `Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=${newBranch()}`,
    'Max-Forwards: 70',
    `From: <sip:${o.user}@${o.domain}>;tag=${newTag()}`,
    `To: <sip:${o.user}@${o.domain}>`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${o.cseq} REGISTER`,
    `Contact: <sip:${o.user}@df7jal23ls0d.invalid;transport=ws>;expires=300`,
    ...(o.authorization ? [`Authorization: ${o.authorization}`] : []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('SIP over secure WebSocket (RFC 7118) on CALLBIN_SIP_WSS_PORT', () => {
  let dir: string;
  let cert: SelfSignedCertificate;
  let cb: TestCallbin;
  let url: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callbin-wss-'));
    cert = selfSignedCertificate(dir);
    cb = await startTestCallbin({ sipTlsPort: 0, sipTlsCert: cert.certFile, sipTlsKey: cert.keyFile, sipWssPort: 0 });
    assert.ok(cb.handle.sip.wssPort, 'the WSS listener is bound');
    url = `wss://127.0.0.1:${cb.handle.sip.wssPort}/`;
  });

  after(async () => {
    await cb?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is a configuration error without a certificate and key', () => {
    assert.throws(
      () => loadConfig({ CALLBIN_SIP_WSS_PORT: '5067' }),
      (err: unknown) =>
        err instanceof ValidationError &&
        err.details.some((d) => d.field === 'CALLBIN_SIP_WSS_PORT' && /CALLBIN_SIP_TLS_CERT/.test(d.message)),
    );
    assert.throws(() => loadConfig({ CALLBIN_SIP_WSS_PORT: '-2' }), ValidationError);
    assert.equal(loadConfig({}).sipWssPort, -1);
    const on = loadConfig({
      CALLBIN_SIP_TLS_CERT: 'c.pem',
      CALLBIN_SIP_TLS_KEY: 'k.pem',
      CALLBIN_SIP_WSS_PORT: '8443',
    });
    assert.equal(on.sipWssPort, 8443);
  });

  it('REGISTER is challenged (401), then accepted (200) with the right credentials; the binding is WSS', async () => {
    const ext = expectStatus(
      await cb.api('POST', '/v1.0/extensions', { extension: '3001', password: 'wss-secret-1' }),
      200,
    );
    const client = new WssClient(url, cert.cert);
    await client.opened();
    try {
      const domain = cb.handle.config.sipDomain;
      const callId = newCallId();
      const challenge = await client.request(register({ user: ext.username, domain, callId, cseq: 1 }));
      assert.equal(challenge.status, 401);
      const offers = challenge.headers.getAll('www-authenticate');
      assert.ok(offers.length > 0, 'a digest challenge');
      const authorization = digestAuthorization({
        challenge: offers[0] as string,
        method: 'REGISTER',
        uri: `sip:${domain}`,
        username: ext.username,
        password: 'wss-secret-1',
      });
      const ok = await client.request(register({ user: ext.username, domain, callId, cseq: 2, authorization }));
      assert.equal(ok.status, 200);
      assert.match(ok.headers.get('via') ?? '', /^SIP\/2\.0\/WSS /);
      const registered = expectStatus(await cb.api('GET', `/v1.0/extensions/${ext.id}`), 200).registered;
      assert.equal(registered.length, 1);
      assert.equal(String(registered[0].transport).toUpperCase(), 'WSS');
    } finally {
      client.ws.close();
    }
  });

  it("callbin's own requests on a WSS connection say WSS in Via and Contact", async () => {
    const client = new WssClient(url, cert.cert);
    await client.opened();
    try {
      const socket = (client.ws as unknown as { _socket: { localPort: number } })._socket;
      const sent = cb.handle.sip.ua.options('sip:probe@df7jal23ls0d.invalid;transport=wss', {
        destination: { transport: 'WSS', host: '127.0.0.1', port: socket.localPort },
      });
      const req = await client.next();
      assert.equal(req.kind, 'request');
      if (req.kind !== 'request') return;
      assert.match(req.headers.get('via') ?? '', /^SIP\/2\.0\/WSS /);
      assert.match(req.headers.get('contact') ?? '', new RegExp(`:${cb.handle.sip.wssPort};transport=wss>`));
      const lines = [
        'SIP/2.0 200 OK',
        ...req.headers.getAll('via').map((v) => `Via: ${v}`),
        `From: ${req.headers.get('from')}`,
        `To: ${req.headers.get('to')};tag=${newTag()}`,
        `Call-ID: ${req.headers.get('call-id')}`,
        `CSeq: ${req.headers.get('cseq')}`,
        'Content-Length: 0',
        '',
        '',
      ];
      client.ws.send(lines.join('\r\n'));
      assert.equal((await sent).status, 200);
    } finally {
      client.ws.close();
    }
  });

  it('garbage closes the socket: instead of a TLS handshake, instead of the upgrade, instead of frames', async () => {
    const port = cb.handle.sip.wssPort ?? 0;
    const closedAfter = (bytes: string, secure: boolean): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the socket stayed open')), 8_000);
        const socket = secure
          ? tlsConnect({ host: '127.0.0.1', port, ca: cert.cert }, () => socket.write(bytes))
          : netConnect({ host: '127.0.0.1', port }, () => socket.write(bytes));
        socket.on('error', () => undefined);
        socket.resume();
        socket.once('close', () => (clearTimeout(timer), resolve()));
      });
    // Not TLS at all: the handshake fails. TLS, then not HTTP: the upgrade server answers 400.
    await closedAfter('GARBAGE / NOT-TLS\r\n\r\n\u0000\u0001\u0002', false);
    await closedAfter('GARBAGE / NOT-HTTP\r\n\r\n\u0000\u0001\u0002', true);

    // A WebSocket, then bytes that are no frame (unmasked, reserved bits): the connection closes.
    const framed = new WssClient(url, cert.cert);
    await framed.opened();
    const raw = (framed.ws as unknown as { _socket: { write(b: Buffer): void } })._socket;
    raw.write(Buffer.from([0xff, 0xff, 0x00, 0x13, 0x37, 0x42, 0x00, 0x00, 0x99]));
    await framed.closed();

    const sipGarbage = new WssClient(url, cert.cert);
    await sipGarbage.opened();
    sipGarbage.ws.send('\u0000\u0001not sip at all\r\n\r\n');
    // An unparseable message is dropped; the server stays up and answers a next client.
    const after = new WssClient(url, cert.cert);
    await after.opened();
    const options = [
      `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
      `Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=${newBranch()}`,
      'Max-Forwards: 70',
      `From: <sip:probe@df7jal23ls0d.invalid>;tag=${newTag()}`,
      `To: <sip:127.0.0.1:${port}>`,
      `Call-ID: ${newCallId()}`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    assert.equal((await after.request(options)).status, 200);
    sipGarbage.ws.close();
    after.ws.close();
  });

  it('refuses an upgrade without the sip subprotocol', async () => {
    const client = new WssClient(url, cert.cert, 'chat');
    await assert.rejects(client.opened());
  });
});
