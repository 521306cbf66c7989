import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { silentLogger, systemClock } from '../../shared/index.ts';
import {
  SipHeaders,
  SipTransport,
  TransactionLayer,
  newBranch,
  newCallId,
  newTag,
  parseMessage,
  serializeMessage,
} from '../../sip/index.ts';
import type { SipRequest } from '../../sip/index.ts';
import { openStore } from '../../store/index.ts';
import { selfSignedCertificate } from '../../../test/support/certificate.ts';
import { startSipServer } from './sip-server.ts';

function options(host: string, port: number, transport: string): SipRequest {
  return {
    kind: 'request',
    method: 'OPTIONS',
    uri: `sip:${host}:${port}`,
    body: Buffer.alloc(0),
    headers: SipHeaders.from([
      ['Via', `SIP/2.0/${transport} ${host}:1;branch=${newBranch()};rport`],
      ['From', `<sip:probe@${host}>;tag=${newTag()}`],
      ['To', `<sip:${host}:${port}>`],
      ['Call-ID', newCallId()],
      ['CSeq', '1 OPTIONS'],
      ['Max-Forwards', '70'],
    ]),
  };
}

describe('SIP server: TLS and WebSocket listeners from configuration', () => {
  it('answers OPTIONS over TLS (certificate files configured) and over WebSocket (subprotocol sip)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callbin-sip-secure-'));
    const { cert, key } = selfSignedCertificate(dir);
    const store = await openStore({ dataDir: dir });
    const sip = await startSipServer({
      config: {
        sipHost: '127.0.0.1',
        sipPort: 0,
        sipDomain: 'sip.test',
        publicIp: '',
        sipTlsPort: 0,
        sipTlsCert: join(dir, 'cert.pem'),
        sipTlsKey: join(dir, 'key.pem'),
        sipWsPort: 0,
      },
      store,
      clock: systemClock,
      logger: silentLogger,
    });
    const client = new SipTransport({ tls: { cert, key, ca: cert } });
    const layer = new TransactionLayer({ transport: client });
    try {
      assert.ok(sip.tlsPort && sip.wsPort, 'TLS and WS ports are bound');
      const viaTls = await layer.request(options('127.0.0.1', sip.tlsPort, 'TLS'), {
        transport: 'TLS',
        host: '127.0.0.1',
        port: sip.tlsPort,
      });
      assert.equal(viaTls.status, 200);

      const ws = new WebSocket(`ws://127.0.0.1:${sip.wsPort}/`, 'sip');
      await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
      const answer = new Promise<string>((resolve) => ws.once('message', (data) => resolve(data.toString())));
      ws.send(serializeMessage(options('127.0.0.1', sip.wsPort, 'WS')).toString());
      const res = parseMessage(Buffer.from(await answer));
      assert.equal(res.kind === 'response' ? res.status : 0, 200);
      ws.close();
    } finally {
      layer.close();
      await client.close();
      await sip.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
