/**
 * Node fallback of rtp-gen.c (used when no C compiler is found): same line protocol, same pacing
 * (phone j sends in 1 ms slot j % 20 of every 20 ms period), connected sockets and one reused
 * packet buffer. It cannot read kernel receive timestamps, so its latency includes its own
 * receive delay: the C generator's figures are the ones to trust.
 */
import dgram from 'node:dgram';
import { createInterface } from 'node:readline';

const SLOT_MS = 1;
const SLOTS = 20;
const WARMUP_TICKS = 25;
const HIST_US = 200_000;
const LOOPBACK = '127.0.0.1';

let sockets: dgram.Socket[] = [];
let received = 0;
let warmupTicks = WARMUP_TICKS;
const hist = new Uint32Array(HIST_US + 1);

function onMessage(buf: Buffer): void {
  if (buf.length < 24 || buf[0] !== 0x80 || (buf[1]! & 0x7f) !== 0) return; // RTP/PCMU only, not RTCP
  received++;
  if (buf.readUInt32BE(20) < warmupTicks) return;
  const us = Number((process.hrtime.bigint() - buf.readBigUInt64BE(12)) / 1000n);
  hist[Math.max(0, Math.min(HIST_US, us))]!++;
}

async function open(phones: number): Promise<string> {
  sockets = [];
  for (let i = 0; i < phones; i++) {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, LOOPBACK, resolve));
    s.on('message', onMessage);
    s.on('error', () => undefined);
    sockets.push(s);
  }
  return `ports ${sockets.map((s) => s.address().port).join(' ')}`;
}

function percentile(total: number, q: number): number {
  const want = Math.floor(total * q);
  let seen = 0;
  for (let i = 0; i <= HIST_US; i++) {
    seen += hist[i]!;
    if (seen > want) return i;
  }
  return HIST_US;
}

async function run(durationMs: number, targets: number[]): Promise<string> {
  hist.fill(0);
  received = 0;
  await Promise.all(sockets.map((s, i) => new Promise<void>((resolve) => s.connect(targets[i]!, LOOPBACK, resolve))));
  const packet = Buffer.alloc(172);
  packet[0] = 0x80;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const slots = Math.floor(durationMs / SLOT_MS);
  warmupTicks = Math.min(WARMUP_TICKS, Math.floor(slots / SLOTS / 4));
  let slot = 0;
  let sent = 0;
  while (slot < slots) {
    const now = performance.now();
    for (; slot < slots && start + slot * SLOT_MS <= now; slot++) {
      const tick = Math.floor(slot / SLOTS);
      packet.writeUInt16BE(tick & 0xffff, 2);
      packet.writeUInt32BE((tick * 160) >>> 0, 4);
      packet.writeUInt32BE(tick, 20);
      for (let j = slot % SLOTS; j < sockets.length; j += SLOTS) {
        packet.writeUInt16BE((j + 1) & 0xffff, 10);
        packet.writeBigUInt64BE(process.hrtime.bigint(), 12);
        sockets[j]!.send(packet);
        sent++;
      }
    }
    await new Promise((r) => setTimeout(r, Math.max(0, start + slot * SLOT_MS - performance.now())));
  }
  await new Promise((r) => setTimeout(r, 300));
  const cpu = process.cpuUsage(cpu0);
  const wallUs = Math.round((performance.now() - start) * 1000);
  const measured = hist.reduce((n, x) => n + x, 0);
  const p = (q: number): number => percentile(measured, q);
  return `result ${sent} ${received} ${p(0.5)} ${p(0.99)} ${p(1 - 1e-12)} ${cpu.user + cpu.system} ${wallUs}`;
}

const rl = createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const [cmd, ...args] = line.trim().split(' ');
  if (cmd === 'open') console.log(await open(Number(args[0]) * 2));
  else if (cmd === 'run') console.log(await run(Number(args[0]), args.slice(1).map(Number)));
  else if (cmd === 'close') {
    for (const s of sockets) s.close();
    sockets = [];
    console.log('closed');
  }
});
rl.on('close', () => process.exit(0));
