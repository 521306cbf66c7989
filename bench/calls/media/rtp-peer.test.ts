import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RtpPeer } from '../rtp-peer.ts';

async function udp(
  onMessage: (socket: dgram.Socket, msg: Buffer, from: dgram.RemoteInfo) => void,
): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, from) => onMessage(socket, msg, from));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `check` holds (the peer works on its own clock), at most `ms`. */
async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !(await check())) await sleep(100);
}

for (const kind of ['auto', 'node'] as const) {
  test(`RtpPeer (${kind}) starts each call on sipp's MEDIA log line and counts the echoes of that call only, those 200 ms late as lost`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'callbin-rtp-peer-'));
    // Echoes call 0's packets at once, call 1's 250 ms later, and sends call 0 a packet of someone else's stream.
    let latePort = -1;
    const echo = await udp((s, msg, from) => {
      if (from.port === latePort) {
        setTimeout(() => s.send(msg, from.port, from.address), 250);
        return;
      }
      s.send(msg, from.port, from.address);
      const foreign = Buffer.from(msg);
      foreign.writeUInt16BE(from.port ^ 1, 14);
      s.send(foreign, from.port, from.address);
    });
    const peer = await RtpPeer.open(2, { mode: 'echo', sendMs: 1500, kind });
    try {
      const ports = peerPorts(peer);
      assert.equal(ports.length, 2);
      latePort = ports[1]!;
      const log = join(dir, 'media.log');
      await writeFile(
        log,
        ports.map((p) => `MEDIA ${p} 127.0.0.1 ${echo.address().port} (c=IN IP4 127.0.0.1 m=audio)\n`).join(''),
      );
      peer.follow(log);
      await until(async () => (await peer.figures()).whole.sent >= 90, 10_000);
      // Sending ends 1.5 s after each start; the last (late) echoes arrive 250 ms after.
      await sleep(1200);
      const f = await peer.figures();
      assert.equal(f.calls, 2);
      assert.equal(f.kind, kind === 'node' ? 'node' : f.kind);
      // Every packet came back once (the foreign ones are not counted), half of them too late.
      assert.ok(f.whole.sent >= 90, JSON.stringify(f));
      assert.equal(f.whole.received, f.whole.sent, JSON.stringify(f));
      assert.ok(f.whole.lossPct >= 45 && f.whole.lossPct < 60, JSON.stringify(f));
      assert.ok(f.whole.latePct !== undefined && f.whole.latePct >= 45 && f.whole.latePct < 60, JSON.stringify(f));
      assert.ok(f.whole.rttMs !== undefined && Number.isFinite(f.whole.rttMs[0]), JSON.stringify(f));
    } finally {
      await peer.close();
      echo.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test(`RtpPeer (${kind}) in listen mode counts sequence gaps as loss, over the calls and in the window`, async () => {
    const peer = await RtpPeer.open(1, { mode: 'listen', sendMs: 500, kind });
    const sender = await udp(() => undefined);
    try {
      const port = peerPorts(peer)[0]!;
      // 60 packets at 50/s across the 16-bit wrap, three never sent; the window spans packets 20 to 39.
      await sendPaced(sender, port, 60, {
        seq: (i) => (0xfff6 + i) & 0xffff,
        skip: [5, 11, 25],
        at: { 20: () => peer.window(true), 40: () => peer.window(false) },
      });
      await until(async () => (await peer.figures()).whole.received >= 57, 5000);
      const f = await peer.figures();
      assert.equal(f.whole.received, 57, JSON.stringify(f));
      // Wide bounds: the packets are paced by this test's timers.
      assert.ok(f.whole.lossPct >= 4.9 && f.whole.lossPct < 20, JSON.stringify(f));
      assert.ok(f.window.received >= 17 && f.window.received <= 21, JSON.stringify(f));
      assert.ok(f.window.lossPct >= 3 && f.window.lossPct < 30, JSON.stringify(f));
    } finally {
      await peer.close();
      sender.close();
    }
  });

  test(`RtpPeer (${kind}) in listen mode counts packets missing in time as loss though their sequence numbers have no gap`, async () => {
    const peer = await RtpPeer.open(1, { mode: 'listen', sendMs: 500, kind });
    const sender = await udp(() => undefined);
    try {
      const port = peerPorts(peer)[0]!;
      // A server that falls behind: 25 packets in a row, but one per 40 ms instead of 20.
      peer.window(true);
      await sendPaced(sender, port, 25, { seq: (i) => 1000 + i, everyMs: 40 });
      peer.window(false);
      await until(async () => (await peer.figures()).whole.received >= 25, 5000);
      const f = await peer.figures();
      assert.equal(f.whole.received, 25, JSON.stringify(f));
      assert.ok(f.whole.lossPct > 30 && f.whole.lossPct < 65, JSON.stringify(f));
      assert.ok(f.window.lossPct > 30 && f.window.lossPct < 70, JSON.stringify(f));
      assert.ok(f.heardPct !== undefined && f.heardPct > 30 && f.heardPct < 70, JSON.stringify(f));
    } finally {
      await peer.close();
      sender.close();
    }
  });
}

function peerPorts(peer: RtpPeer): number[] {
  return peer
    .injectionCsv()
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => Number(l.replace(';', '')));
}

/** Sends `count` PCMU packets to `port`, one per `everyMs` (20) on an absolute schedule; `at[i]` runs before packet i. */
async function sendPaced(
  socket: dgram.Socket,
  port: number,
  count: number,
  o: { seq: (i: number) => number; skip?: number[]; everyMs?: number; at?: Record<number, () => void> },
): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    await sleep(Math.max(0, t0 + i * (o.everyMs ?? 20) - performance.now()));
    o.at?.[i]?.();
    if (o.skip?.includes(i)) continue;
    const packet = Buffer.alloc(172, 0xff);
    packet[0] = 0x80;
    packet[1] = 0;
    packet.writeUInt16BE(o.seq(i), 2);
    socket.send(packet, port, '127.0.0.1');
  }
  await sleep(100);
}
