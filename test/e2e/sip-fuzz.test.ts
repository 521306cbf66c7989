import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, it } from 'node:test';
import type { TestUa } from '../support/sip-ua.ts';
import { startTestUa } from '../support/sip-ua.ts';

const UDP_MESSAGES = 8_000;
const TCP_MESSAGES = 2_200;
const STALLED_CONNECTIONS = 100;
const ENDLESS_CONNECTIONS = 10;

/** A deterministic PRNG (mulberry32), so a failing storm can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A well-formed INVITE to the user `fuzz` (never answered 2xx, so the UA never sends requests back). */
function validInvite(i: number, transport: 'UDP' | 'TCP', port: number): string {
  const body = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
  return [
    `INVITE sip:fuzz@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/${transport} 127.0.0.1:${port};rport;branch=z9hG4bKfuzz${i}`,
    'Max-Forwards: 70',
    `From: <sip:storm@127.0.0.1>;tag=f${i}`,
    'To: <sip:fuzz@127.0.0.1>',
    `Call-ID: fuzz-${i}@127.0.0.1`,
    'CSeq: 1 INVITE',
    `Contact: <sip:storm@127.0.0.1:${port}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${body.length}`,
    '',
    body,
  ].join('\r\n');
}

type Kind = 'random' | 'flipped' | 'truncated' | 'duplicated' | 'huge' | 'content-length' | 'binary-start';
const KINDS: readonly Kind[] = [
  'random',
  'flipped',
  'truncated',
  'duplicated',
  'huge',
  'content-length',
  'binary-start',
];

/** One mutated or garbage message of `kind`. */
function mutate(kind: Kind, base: string, rand: () => number): Buffer {
  const bytes = Buffer.from(base, 'latin1');
  switch (kind) {
    case 'random':
      return Buffer.from(Array.from({ length: 8 + Math.floor(rand() * 1400) }, () => Math.floor(rand() * 256)));
    case 'flipped': {
      for (let n = 1 + Math.floor(rand() * 12); n > 0; n--)
        bytes[Math.floor(rand() * bytes.length)]! ^= 1 << Math.floor(rand() * 8);
      return bytes;
    }
    case 'truncated':
      return bytes.subarray(0, Math.floor(rand() * bytes.length));
    case 'duplicated': {
      const lines = base.split('\r\n');
      const at = 1 + Math.floor(rand() * 8);
      lines.splice(
        at,
        0,
        ...Array.from({ length: 1 + Math.floor(rand() * 40) }, () => lines[at] ?? 'Via: x'),
        'Content-Length: 3',
        'CSeq: 7 BYE',
      );
      return Buffer.from(lines.join('\r\n'), 'latin1');
    }
    case 'huge':
      return Buffer.from(
        base.replace('Max-Forwards: 70', `X-Huge: ${'h'.repeat(2_000 + Math.floor(rand() * 14_000))}`),
        'latin1',
      );
    case 'content-length':
      return Buffer.from(
        base.replace(
          /Content-Length: \d+/,
          `Content-Length: ${['99999', '-4', 'abc', '1e3', ''][Math.floor(rand() * 5)]}`,
        ),
        'latin1',
      );
    case 'binary-start':
      return Buffer.concat([Buffer.from([0x49, 0x00, 0xff, 0x4e, 0x80, 0x20]), bytes.subarray(base.indexOf(' '))]);
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Garbage datagrams from a few sockets, in batches so the receiving side keeps up. */
async function udpStorm(target: number, rand: () => number): Promise<number> {
  const sockets: UdpSocket[] = [];
  for (let i = 0; i < 4; i++) {
    const s = createSocket('udp4');
    s.on('message', () => {});
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    sockets.push(s);
  }
  let garbage = 0;
  for (let i = 0; i < UDP_MESSAGES; i++) {
    const socket = sockets[i % sockets.length]!;
    const kind = KINDS[i % KINDS.length]!;
    if (kind === 'random' || kind === 'binary-start') garbage++;
    const msg = mutate(kind, validInvite(i, 'UDP', socket.address().port), rand);
    socket.send(msg.subarray(0, 60_000), target, '127.0.0.1');
    if (i % 20 === 19) await tick();
  }
  await tick();
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return garbage;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Mutated messages over short-lived TCP connections (a framing error closes one; the next takes over). */
async function tcpStorm(port: number, rand: () => number): Promise<void> {
  for (let sent = 0; sent < TCP_MESSAGES; ) {
    const socket = await open(port);
    socket.on('data', () => {});
    socket.on('error', () => {});
    for (let n = 0; n < 25 && sent < TCP_MESSAGES; n++, sent++) {
      if (socket.destroyed) break;
      socket.write(
        mutate(KINDS[sent % KINDS.length]!, validInvite(100_000 + sent, 'TCP', socket.localPort ?? 0), rand),
      );
    }
    await tick();
    socket.destroy();
  }
}

/** Connections that send half a message and stall, and ones that stream one endless header line. */
async function tcpAbuse(port: number): Promise<Socket[]> {
  const stalled: Socket[] = [];
  for (let i = 0; i < STALLED_CONNECTIONS; i++) {
    const socket = await open(port);
    socket.on('error', () => {});
    socket.write(
      `INVITE sip:fuzz@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKst${i}\r\nFrom: <sip:a@b>;tag=`,
    );
    stalled.push(socket);
  }
  await Promise.all(
    Array.from({ length: ENDLESS_CONNECTIONS }, async () => {
      const socket = await open(port);
      socket.on('error', () => {});
      socket.write('INVITE sip:fuzz@127.0.0.1 SIP/2.0\r\nX-Endless: ');
      const chunk = 'e'.repeat(8_192);
      for (let k = 0; k < 16 && !socket.destroyed; k++) {
        socket.write(chunk);
        await tick();
      }
      socket.destroy();
    }),
  );
  return stalled;
}

/** Real calls placed while the storm runs: every one must be answered, ACKed and hung up. */
async function callLoop(
  caller: TestUa,
  calleePort: number,
  transport: 'udp' | 'tcp',
  stop: () => boolean,
): Promise<number> {
  let calls = 0;
  while (!stop() || calls < 3) {
    const uri = `sip:legit@127.0.0.1:${calleePort}${transport === 'tcp' ? ';transport=tcp' : ''}`;
    const { dialog } = await caller.ua.invite({
      to: `<${uri}>`,
      from: 'sip:caller@127.0.0.1',
      body: 'v=0\r\n',
      contentType: 'application/sdp',
    });
    const bye = await dialog.bye();
    assert.equal(bye?.status, 200);
    calls++;
  }
  return calls;
}

function collectGarbage(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

describe('SIP robustness storm', { timeout: 60_000 }, () => {
  it('survives ≥10,000 garbage messages over UDP and TCP while real calls keep working', async (t) => {
    const gc = collectGarbage();
    const callee = await startTestUa({ transport: 'both' });
    const callers = await Promise.all([startTestUa({ transport: 'udp' }), startTestUa({ transport: 'tcp' })]);
    let answered = 0;
    callee.ua.on('invite', (incoming) => {
      // Only the real callers get a dialog: the storm's INVITEs must never make us send requests anywhere.
      if (!incoming.request.uri.startsWith('sip:legit@')) return incoming.reject(486);
      answered++;
      incoming.accept({ body: 'v=0\r\n', contentType: 'application/sdp' });
    });
    const stalled: Socket[] = [];
    try {
      gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      const rand = prng(0x5eed);
      let done = false;
      const calling = Promise.all([
        callLoop(callers[0], callee.ports.udp!, 'udp', () => done),
        callLoop(callers[1], callee.ports.tcp!, 'tcp', () => done),
      ]);
      const [garbage] = await Promise.all([
        udpStorm(callee.ports.udp!, rand),
        tcpStorm(callee.ports.tcp!, rand),
        tcpAbuse(callee.ports.tcp!).then((s) => stalled.push(...s)),
      ]);
      done = true;
      const [udpCalls, tcpCalls] = await calling;
      assert.ok(udpCalls >= 3 && tcpCalls >= 3);
      assert.equal(answered, udpCalls + tcpCalls, 'every real call was answered');
      const stats = callee.transport.stats();
      assert.ok(
        stats.malformed >= garbage * 0.9,
        `malformed ${stats.malformed} counted for ${garbage} pure-garbage datagrams`,
      );
      assert.ok(stats.malformed >= ENDLESS_CONNECTIONS, 'endless header lines are framing errors');
      assert.equal(
        (await callers[0].ua.options(`sip:legit@127.0.0.1:${callee.ports.udp}`)).status,
        200,
        'still answering',
      );
      for (const s of stalled) s.destroy();
      stalled.length = 0;
      gc?.();
      const growthMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
      const live = callee.layer.size.server;
      t.diagnostic(
        `calls udp=${udpCalls} tcp=${tcpCalls}; transport ${JSON.stringify(stats)}; heap +${growthMiB.toFixed(1)} MiB with ${live} server transactions still in their 64*T1 wait (gc ${gc ? 'forced' : 'unavailable'})`,
      );
      assert.ok(growthMiB < 50, `heap grew ${growthMiB.toFixed(1)} MiB`);
      await Promise.all(callers.map((c) => c.close()));
      await callee.close();
      gc?.();
      const leftMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
      t.diagnostic(`heap +${leftMiB.toFixed(1)} MiB once the UA and its transactions are closed`);
      assert.ok(leftMiB < 10, `heap kept ${leftMiB.toFixed(1)} MiB after close`);
    } finally {
      for (const s of stalled) s.destroy();
      await Promise.all(callers.map((c) => c.close()));
      await callee.close();
    }
  });
});
