// The SIP stream listeners facing the internet: connection caps (total and per source), the
// message deadline against slowloris, and the idle timeout that single bytes do not reset.
// Real sockets against the SIP server main.ts starts, with small limits.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import WebSocket from 'ws';
import type { Config } from '../../src/config/index.ts';
import { silentLogger, systemClock } from '../../src/shared/index.ts';
import { openStore } from '../../src/store/index.ts';
import { startSipServer } from '../../src/telephony/index.ts';
import { selfSignedCertificate } from '../support/certificate.ts';
import type { SipServer } from '../../src/telephony/index.ts';

type Limits = Partial<
  Pick<Config, 'sipMaxConnections' | 'sipMaxConnectionsPerSource' | 'sipIdleTimeoutSec' | 'sipMessageDeadlineSec'>
>;

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A self-signed certificate for 127.0.0.1 in `dir`: its file names. */
function selfSigned(dir: string): { cert: string; key: string } {
  const { certFile, keyFile } = selfSignedCertificate(dir);
  return { cert: certFile, key: keyFile };
}

/** The SIP server with UDP, TCP, TLS and WebSocket listeners on 127.0.0.1 and the given limits. */
async function startSip(limits: Limits): Promise<SipServer> {
  const dir = mkdtempSync(join(tmpdir(), 'callbin-sip-caps-'));
  const { cert, key } = selfSigned(dir);
  const store = await openStore({ dataDir: dir });
  const sip = await startSipServer({
    config: {
      sipHost: '127.0.0.1',
      sipPort: 0,
      sipDomain: 'sip.test',
      publicIp: '',
      sipTlsPort: 0,
      sipTlsCert: cert,
      sipTlsKey: key,
      sipWsPort: 0,
      ...limits,
    },
    store,
    clock: systemClock,
    logger: silentLogger,
  });
  cleanups.push(async () => {
    await sip.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return sip;
}

/** A raw client socket with what it read and whether the server closed it. */
interface Client {
  socket: Socket;
  text(): string;
  isClosed(): boolean;
  closed: Promise<void>;
}

function watch(socket: Socket): Client {
  let data = '';
  let closed = false;
  socket.on('data', (chunk) => (data += chunk.toString()));
  socket.on('error', () => {});
  const done = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void done.then(() => (closed = true));
  cleanups.push(async () => void socket.destroy());
  return { socket, text: () => data, isClosed: () => closed, closed: done };
}

/** Opens a TCP connection from `localAddress` (any 127.0.0.x works on loopback) and waits for the handshake. */
async function tcpClient(port: number, localAddress = '127.0.0.1'): Promise<Client> {
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  await new Promise<void>((resolve, reject) => (socket.once('connect', () => resolve()), socket.once('error', reject)));
  return watch(socket);
}

function options(port: number, transport: string, localPort: number): string {
  const id = randomUUID();
  return (
    `OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/${transport} 127.0.0.1:${localPort};branch=z9hG4bK${id};rport\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=${id.slice(0, 8)}\r\nTo: <sip:127.0.0.1:${port}>\r\n` +
    `Call-ID: ${id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`
  );
}

async function until(what: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sends a complete OPTIONS on `client` and waits for its 200. */
async function ping(client: Client, port: number): Promise<void> {
  const before = (client.text().match(/SIP\/2\.0 200/g) ?? []).length;
  client.socket.write(options(port, 'TCP', client.socket.localPort ?? 0));
  await until('a 200 to OPTIONS', () => (client.text().match(/SIP\/2\.0 200/g) ?? []).length > before, 5_000);
}

describe('SIP stream listeners: connection caps and deadlines', () => {
  it('TCP: closes connections over the per-source cap at once, keeps the others working, counts the refusals', async () => {
    const sip = await startSip({ sipMaxConnectionsPerSource: 3, sipMaxConnections: 100 });
    const clients: Client[] = [];
    for (let i = 0; i < 5; i++) clients.push(await tcpClient(sip.tcpPort));
    await until('two connections closed by the server', () => clients.filter((c) => c.isClosed()).length >= 2, 5_000);
    await sleep(200);
    assert.deepEqual(
      clients.map((c) => c.isClosed()),
      [false, false, false, true, true],
      'the first three are kept, the later two refused',
    );
    const other = await tcpClient(sip.tcpPort, '127.0.0.2');
    await ping(other, sip.tcpPort);
    await ping(clients[0]!, sip.tcpPort);
    assert.equal(sip.stats()['connections_refused_per_source'], 2);
    assert.match(sip.metricsText(), /callbin_sip_connections_refused_total\{cap="per_source"\} 2/);
    clients[0]!.socket.destroy();
    await clients[0]!.closed;
    const again = await tcpClient(sip.tcpPort);
    await ping(again, sip.tcpPort);
  });

  it('TCP: closes connections over the total cap, whatever their source', async () => {
    const sip = await startSip({ sipMaxConnectionsPerSource: 3, sipMaxConnections: 5 });
    const kept = [
      await tcpClient(sip.tcpPort, '127.0.0.2'),
      await tcpClient(sip.tcpPort, '127.0.0.2'),
      await tcpClient(sip.tcpPort, '127.0.0.2'),
      await tcpClient(sip.tcpPort, '127.0.0.3'),
      await tcpClient(sip.tcpPort, '127.0.0.3'),
    ];
    const refused = [await tcpClient(sip.tcpPort, '127.0.0.4'), await tcpClient(sip.tcpPort, '127.0.0.5')];
    await until('the connections over the total closed', () => refused.every((c) => c.isClosed()), 5_000);
    await sleep(200);
    assert.ok(
      kept.every((c) => !c.isClosed()),
      'connections within the total stay open',
    );
    await ping(kept[4]!, sip.tcpPort);
    assert.equal(sip.stats()['connections_refused_total'], 2);
  });

  it('TCP: closes a slowloris message after the deadline while a client sending whole messages keeps working', async () => {
    const sip = await startSip({ sipMessageDeadlineSec: 1, sipIdleTimeoutSec: 3 });
    const slow = await tcpClient(sip.tcpPort);
    const good = await tcpClient(sip.tcpPort, '127.0.0.2');
    const partial = options(sip.tcpPort, 'TCP', slow.socket.localPort ?? 0);
    let sent = 0;
    const trickle = setInterval(() => {
      if (!slow.isClosed() && sent < partial.length - 4) slow.socket.write(partial[sent++] ?? '');
    }, 300);
    try {
      // Whole OPTIONS every 500 ms for longer than both the deadline and the idle timeout.
      const started = Date.now();
      while (Date.now() - started < 4_000) {
        await ping(good, sip.tcpPort);
        await sleep(500);
      }
      // A generous bound: the criterion is the deadline (1 s), not the exact moment.
      await until('the slowloris connection closed', () => slow.isClosed(), 4_000);
      assert.ok(sent < 40, `closed after ${sent} bytes, long before its message could end`);
      assert.equal(good.isClosed(), false, 'the client sending whole messages is still connected');
      await ping(good, sip.tcpPort);
      assert.ok((sip.stats()['connections_closed_deadline'] ?? 0) >= 1);
    } finally {
      clearInterval(trickle);
    }
  });

  it('TCP: closes a connection idle for the idle timeout; single bytes do not reset it', async () => {
    const sip = await startSip({ sipIdleTimeoutSec: 2, sipMessageDeadlineSec: 60 });
    const idle = await tcpClient(sip.tcpPort);
    await ping(idle, sip.tcpPort);
    const dribbler = await tcpClient(sip.tcpPort, '127.0.0.2');
    const partial = options(sip.tcpPort, 'TCP', dribbler.socket.localPort ?? 0);
    let sent = 0;
    // Bytes of a message that would take far longer than the idle timeout (deadline 60 s).
    const dribble = setInterval(() => dribbler.isClosed() || dribbler.socket.write(partial[sent++ % 40] ?? ''), 300);
    try {
      await until('the idle connection closed', () => idle.isClosed(), 8_000);
      await until('the dribbling connection closed', () => dribbler.isClosed(), 8_000);
      assert.ok((sip.stats()['connections_closed_idle'] ?? 0) >= 2);
    } finally {
      clearInterval(dribble);
    }
  });

  it('WebSocket: refuses upgrades over the per-source cap and closes a slow upgrade request', async () => {
    const sip = await startSip({ sipMaxConnectionsPerSource: 2, sipMessageDeadlineSec: 1 });
    const open = async (): Promise<WebSocket | Error> => {
      const ws = new WebSocket(`ws://127.0.0.1:${sip.wsPort}/`, 'sip');
      cleanups.push(async () => ws.terminate());
      return new Promise((resolve) => (ws.once('open', () => resolve(ws)), ws.once('error', (err) => resolve(err))));
    };
    const results = [await open(), await open(), await open()];
    assert.ok(
      results[0] instanceof WebSocket && results[1] instanceof WebSocket,
      'two WebSocket connections within the cap',
    );
    assert.ok(results[2] instanceof Error, 'the third from the same source is refused');
    const slow = await tcpClient(sip.wsPort ?? 0, '127.0.0.2');
    const request = `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`;
    let sent = 0;
    const trickle = setInterval(
      () => slow.isClosed() || slow.socket.write(request[sent++ % request.length] ?? ''),
      300,
    );
    try {
      await until('the slow upgrade closed', () => slow.isClosed(), 8_000);
    } finally {
      clearInterval(trickle);
    }
  });

  it('TLS: refuses connections over the per-source cap and closes one that never finishes its handshake', async () => {
    const sip = await startSip({ sipMaxConnectionsPerSource: 2, sipMessageDeadlineSec: 1 });
    const handshake = (): Promise<boolean> => {
      const socket = tlsConnect({ host: '127.0.0.1', port: sip.tlsPort ?? 0, rejectUnauthorized: false });
      cleanups.push(async () => void socket.destroy());
      return new Promise(
        (resolve) => (
          socket.once('secureConnect', () => resolve(true)),
          socket.once('error', () => resolve(false)),
          socket.once('close', () => resolve(false))
        ),
      );
    };
    assert.deepEqual([await handshake(), await handshake(), await handshake()], [true, true, false]);
    assert.equal(sip.stats()['connections_refused_per_source'], 1);
    const silent = await tcpClient(sip.tlsPort ?? 0, '127.0.0.2');
    await until('the connection without a handshake closed', () => silent.isClosed(), 8_000);
  });
});
