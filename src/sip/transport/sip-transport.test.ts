import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { FakeClock, hasCode } from '../../shared/index.ts';
import { createResponse, parseMessage, parseVia } from '../message/index.ts';
import type { SipMessage, SipRequest } from '../message/index.ts';
import { responseDestination } from './response-destination.ts';
import { SipTransport } from './sip-transport.ts';
import type { MalformedInfo, MessageSource } from './transport-types.ts';

function options(transport: string, port: number, branch = 'z9hG4bKt1', via = `127.0.0.1:${port};rport`): string {
  return (
    `OPTIONS sip:callbin@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/${transport} ${via};branch=${branch}\r\n` +
    'Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:callbin@127.0.0.1>\r\n' +
    `Call-ID: ${branch}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`
  );
}

function nextMessage(transport: SipTransport): Promise<[SipMessage, MessageSource]> {
  return new Promise((resolve) => {
    const off = transport.on('message', (msg, source) => {
      off();
      resolve([msg, source]);
    });
  });
}

function nextMalformed(transport: SipTransport): Promise<MalformedInfo> {
  return new Promise((resolve) => {
    const off = transport.on('malformed', (info) => {
      off();
      resolve(info);
    });
  });
}

/** Collects what a raw TCP client reads, and resolves when `text` has been seen. */
function reader(socket: Socket): { until(text: string): Promise<string>; closed: Promise<void> } {
  let data = '';
  const waiters: { text: string; resolve: (s: string) => void }[] = [];
  socket.on('data', (chunk) => {
    data += chunk.toString();
    for (const w of [...waiters]) if (data.includes(w.text)) w.resolve(data);
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return {
    until: (text) =>
      data.includes(text) ? Promise.resolve(data) : new Promise((resolve) => waiters.push({ text, resolve })),
    closed,
  };
}

async function tcpClient(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

describe('SipTransport', () => {
  const transport = new SipTransport();
  let udpPort = 0;
  let tcpPort = 0;
  let wsPort = 0;

  before(async () => {
    udpPort = (await transport.listenUdp({ host: '127.0.0.1', port: 0 })).port;
    tcpPort = (await transport.listenTcp({ host: '127.0.0.1', port: 0 })).port;
    wsPort = (await transport.listenWs({ host: '127.0.0.1', port: 0, path: '/sip' })).port;
  });
  after(() => transport.close());

  it('UDP: stamps received/rport on the top Via and answers to rport', async () => {
    const client = createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
    const clientPort = client.address().port;
    const got = nextMessage(transport);
    client.send(options('UDP', 5999, 'z9hG4bKudp', `client.invalid:5999;rport`), udpPort, '127.0.0.1');
    const [msg, source] = await got;
    assert.equal(source.transport, 'UDP');
    assert.deepEqual([source.address, source.port, source.local.port], ['127.0.0.1', clientPort, udpPort]);
    assert.ok(msg.kind === 'request');
    const via = parseVia(msg.headers.get('via') ?? '');
    assert.equal(via.params.get('received'), '127.0.0.1');
    assert.equal(via.params.get('rport'), String(clientPort));
    const answered = new Promise<Buffer>((resolve) => client.once('message', (b) => resolve(b)));
    const res = createResponse(msg, 200);
    await transport.send(res, responseDestination(res, source));
    const wire = parseMessage(await answered);
    assert.ok(wire.kind === 'response' && wire.status === 200);
    client.close();
  });

  it('UDP: answers an unparseable request 400 when its headers are readable, drops pure garbage', async () => {
    const client = createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
    const before = transport.stats().malformed;
    const badCSeq = options('UDP', client.address().port, 'z9hG4bKbad').replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE');
    const answered = new Promise<Buffer>((resolve) => client.once('message', (b) => resolve(b)));
    const bad = nextMalformed(transport);
    client.send(badCSeq, udpPort, '127.0.0.1');
    assert.equal((await bad).answeredWith, 400);
    const res = parseMessage(await answered);
    assert.ok(res.kind === 'response' && res.status === 400);
    const garbage = nextMalformed(transport);
    client.send('\x00\x01 not sip at all', udpPort, '127.0.0.1');
    assert.equal((await garbage).answeredWith, undefined);
    assert.equal(transport.stats().malformed, before + 2);
    client.close();
  });

  it('TCP: frames split and batched messages, answers keep-alives, replies on the same connection', async () => {
    const socket = await tcpClient(tcpPort);
    const read = reader(socket);
    const seen: SipRequest[] = [];
    let lastSource: MessageSource | undefined;
    const two = new Promise<void>((resolve) => {
      const off = transport.on('message', (msg, source) => {
        if (msg.kind === 'request') seen.push(msg);
        lastSource = source;
        if (seen.length === 2) {
          off();
          resolve();
        }
      });
    });
    const a = options('TCP', socket.localPort ?? 0, 'z9hG4bKa');
    const b = options('TCP', socket.localPort ?? 0, 'z9hG4bKb');
    socket.write(a.slice(0, 40));
    socket.write(a.slice(40) + '\r\n\r\n' + b);
    await two;
    assert.deepEqual(
      seen.map((m) => m.headers.get('call-id')),
      ['z9hG4bKa', 'z9hG4bKb'],
    );
    assert.equal(lastSource?.transport, 'TCP');
    assert.ok(lastSource?.connectionId);
    const res = createResponse(seen[1]!, 200);
    await transport.send(res, responseDestination(res, lastSource));
    const text = await read.until('SIP/2.0 200');
    assert.ok(text.startsWith('\r\n'), 'the CRLFCRLF ping was answered with a CRLF pong first');
    assert.equal(transport.stats().connections >= 1, true);
    socket.destroy();
  });

  it('TCP: a bad Content-Length gets 400 and the connection closes, without blocking other clients', async () => {
    const slow = await tcpClient(tcpPort);
    slow.write('OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1'); // never finished
    const bad = await tcpClient(tcpPort);
    const read = reader(bad);
    bad.write(options('TCP', 1, 'z9hG4bKcl').replace('Content-Length: 0', 'Content-Length: many'));
    assert.match(await read.until('\r\n\r\n'), /^SIP\/2\.0 400 /);
    await read.closed;
    const good = await tcpClient(tcpPort);
    const got = nextMessage(transport);
    good.write(options('TCP', 2, 'z9hG4bKgood'));
    assert.equal((await got)[0].headers.get('call-id'), 'z9hG4bKgood');
    slow.destroy();
    good.destroy();
  });

  it('TCP: requests open one connection and reuse it', async () => {
    const accepted: Socket[] = [];
    let data = '';
    const server = createServer((s) => {
      accepted.push(s);
      s.on('data', (d) => (data += d.toString()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    const req = parseMessage(Buffer.from(options('TCP', tcpPort, 'z9hG4bKout')));
    await transport.send(req, { transport: 'TCP', host: '127.0.0.1', port });
    await transport.send(req, { transport: 'TCP', host: '127.0.0.1', port });
    while ((data.match(/OPTIONS sip/g) ?? []).length < 2) await new Promise((r) => setTimeout(r, 5));
    assert.equal(accepted.length, 1);
    for (const s of accepted) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('rejects sends it cannot make with TRANSPORT_ERROR', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const req = parseMessage(Buffer.from(options('TCP', tcpPort)));
    await assert.rejects(transport.send(req, { transport: 'TCP', host: '127.0.0.1', port }), (err) =>
      hasCode(err, 'TRANSPORT_ERROR'),
    );
    await assert.rejects(transport.send(req, { transport: 'WS', host: '127.0.0.1', port }), (err) =>
      hasCode(err, 'TRANSPORT_ERROR'),
    );
    assert.ok(transport.stats().sendErrors >= 2);
  });

  it('WebSocket: one message per frame with subprotocol sip, answers on the connection', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/sip`, 'sip');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    assert.equal(ws.protocol, 'sip');
    const got = nextMessage(transport);
    ws.send(options('WS', 0, 'z9hG4bKws', 'df7jal23ls0d.invalid;rport'));
    const [msg, source] = await got;
    assert.equal(source.transport, 'WS');
    assert.ok(msg.kind === 'request');
    const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
    const res = createResponse(msg, 200);
    await transport.send(res, responseDestination(res, source));
    assert.match(await reply, /^SIP\/2\.0 200 /);
    ws.close();
    const refused = new WebSocket(`ws://127.0.0.1:${wsPort}/sip`, 'chat');
    await new Promise<void>((resolve) => refused.once('error', () => resolve()));
  });

  it('closes idle TCP connections after the idle timeout on its clock', async () => {
    const clock = new FakeClock();
    const t = new SipTransport({ clock, idleTimeoutMs: 30_000 });
    const { port } = await t.listenTcp({ host: '127.0.0.1', port: 0 });
    const socket = await tcpClient(port);
    const read = reader(socket);
    const got = nextMessage(t);
    socket.write(options('TCP', 1, 'z9hG4bKidle'));
    await got;
    assert.equal(t.stats().connections, 1);
    clock.advance(29_000);
    assert.equal(t.stats().connections, 1);
    clock.advance(2_000);
    await read.closed;
    await t.close();
    await t.close();
  });
});

describe('SipTransport UDP receive buffer (docs/security.md "Overload")', () => {
  it('keeps a burst of INVITE-sized datagrams that arrives while the event loop is blocked', async () => {
    const t = new SipTransport();
    const { port } = await t.listenUdp({ host: '127.0.0.1', port: 0 });
    // The kernel grants at most net.core.rmem_max (and counts about 2.3 KiB per datagram of this
    // size); the default socket buffer holds about 180 of them, the 4 MiB one about 3,600.
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    const burst = Math.min(1000, Math.floor((2 * Math.min(rmemMax, 4 * 1024 * 1024)) / 4096));
    let received = 0;
    t.on('message', () => received++);
    const padding = `X-Padding: ${'x'.repeat(600)}\r\n`;
    const text = options('UDP', 1, 'z9hG4bKburst').replace('Content-Length', `${padding}Content-Length`);
    // execFileSync blocks this process's event loop while another process sends the whole burst.
    const sender = `const s=require('node:dgram').createSocket('udp4');const m=Buffer.from(process.argv[1]);let n=${burst};
      for(let i=0;i<${burst};i++)s.send(m,${port},'127.0.0.1',()=>{if(--n===0)s.close()});`;
    execFileSync(process.execPath, ['-e', sender, text]);
    const deadline = Date.now() + 5_000;
    while (received < burst && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(received, burst);
    await t.close();
  });
});
