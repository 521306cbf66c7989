/**
 * Node fallback of rtp-peer.c (used when no C compiler is found or RTP_PEER=node): the same line
 * protocol, pacing (call i sends in 1 ms slot i % 20 of every 20 ms period), connected sockets and
 * payload. It cannot read kernel receive timestamps, so its round trips include its own receive
 * delay, and its event loop costs far more CPU on the load core: the C peer's figures are the ones
 * to trust.
 */
import dgram from 'node:dgram';
import { createInterface } from 'node:readline';

const PAYLOAD_BYTES = 160;
const SLOT_MS = 1;
const SLOTS = 20;
const FRAME_MS = SLOT_MS * SLOTS;
const WARMUP_PACKETS = 25;
const ECHO_TAG = 0xca11;
const HIST_US = 200_000;

interface Call {
  socket: dgram.Socket;
  port: number;
  started: boolean;
  untilMs: number;
  seq: number;
  seqBase: number;
  sent: number;
  received: number;
  lastRaw?: number;
  cycles: number;
  low?: number;
  high?: number;
  firstRxMs: number;
  lastRxMs: number;
  wSent: number;
  wReceived: number;
  wLow?: number;
  wHigh?: number;
}

let calls: Call[] = [];
let listen = false;
let sendMs = 0;
let timer: NodeJS.Timeout | undefined;
let maxLagMs = 0;
let windowOpen = 0;
let windowSinceMs = 0;
let windowMs = 0;
const hist = new Uint32Array(HIST_US + 1);
const wHist = new Uint32Array(HIST_US + 1);
const packet = Buffer.alloc(12 + PAYLOAD_BYTES, 0xff);
// RFC 3550 §5.1: version 2, PT 0 (PCMU).
packet[0] = 0x80;
packet[1] = 0;

function onPacket(c: Call, buf: Buffer): void {
  if (buf.length < 12 || (buf[0]! & 0xc0) !== 0x80) return;
  const pt = buf[1]! & 0x7f;
  if (pt >= 72 && pt <= 76) return; // RTCP, not media
  if (!listen) {
    if (
      buf.length < 28 ||
      buf.readUInt16BE(12) !== ECHO_TAG ||
      buf.readUInt16BE(14) !== c.port ||
      buf.readUInt32BE(16) < WARMUP_PACKETS
    )
      return;
    c.received++;
    const us = Math.max(0, Math.min(HIST_US, Number((process.hrtime.bigint() - buf.readBigUInt64BE(20)) / 1000n)));
    hist[us]!++;
    if (buf[28] === 1) {
      c.wReceived++;
      wHist[us]!++;
    }
    return;
  }
  c.received++;
  const now = performance.now();
  const raw = buf.readUInt16BE(2);
  if (c.lastRaw !== undefined && raw < c.lastRaw && c.lastRaw - raw > 0x8000) c.cycles++;
  c.lastRaw = raw;
  const ext = c.cycles * 0x10000 + raw;
  if (c.low === undefined) c.firstRxMs = now;
  c.low = Math.min(c.low ?? ext, ext);
  c.high = Math.max(c.high ?? ext, ext);
  c.lastRxMs = now;
  if (!windowOpen) return;
  c.wReceived++;
  c.wLow = Math.min(c.wLow ?? ext, ext);
  c.wHigh = Math.max(c.wHigh ?? ext, ext);
}

async function open(n: number, mode: string, ms: number): Promise<string> {
  await closeCalls();
  hist.fill(0);
  wHist.fill(0);
  windowOpen = 0;
  windowMs = 0;
  maxLagMs = 0;
  listen = mode === 'listen';
  sendMs = ms;
  for (let i = 0; i < n; i++) {
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const c: Call = {
      socket,
      port: socket.address().port,
      started: false,
      untilMs: 0,
      seq: 0,
      seqBase: Math.floor(Math.random() * 0x10000),
      sent: 0,
      received: 0,
      cycles: 0,
      firstRxMs: 0,
      lastRxMs: 0,
      wSent: 0,
      wReceived: 0,
    };
    socket.on('message', (buf) => onPacket(c, buf));
    socket.on('error', () => undefined);
    calls.push(c);
  }
  const start = performance.now();
  let slot = 0;
  const tick = (): void => {
    const now = performance.now();
    for (; start + slot * SLOT_MS <= now; slot++) sendSlot(slot, now, now - (start + slot * SLOT_MS));
    timer = setTimeout(tick, Math.max(0, start + slot * SLOT_MS - performance.now()));
  };
  timer = setTimeout(tick, 0);
  return `ports ${calls.map((c) => c.port).join(' ')}`;
}

function sendSlot(slot: number, now: number, lagMs: number): void {
  for (let j = slot % SLOTS; j < calls.length; j += SLOTS) {
    const c = calls[j]!;
    if (!c.started || now >= c.untilMs) continue;
    maxLagMs = Math.max(maxLagMs, lagMs);
    packet.writeUInt16BE((c.seq + c.seqBase) & 0xffff, 2);
    packet.writeUInt32BE((c.seq * PAYLOAD_BYTES) >>> 0, 4);
    packet.writeUInt32BE(c.port, 8);
    // A tag in the payload: relays rewrite the header, a PCMU-to-PCMU relay keeps the payload.
    packet.writeUInt16BE(ECHO_TAG, 12);
    packet.writeUInt16BE(c.port, 14);
    packet.writeUInt32BE(c.seq, 16);
    packet.writeBigUInt64BE(process.hrtime.bigint(), 20);
    packet[28] = windowOpen;
    // A copy per packet: dgram sends asynchronously and must not see later writes.
    c.socket.send(Buffer.from(packet));
    if (c.seq >= WARMUP_PACKETS) {
      c.sent++;
      c.wSent += windowOpen;
    }
    c.seq++;
  }
}

function start(i: number, ip: string, port: number): void {
  const c = calls[i];
  if (!c || c.untilMs > 0) return;
  c.untilMs = Infinity;
  // Sends before the connect completes would throw: the call starts in its callback.
  c.socket.connect(port, ip, () => {
    c.started = true;
    c.untilMs = performance.now() + sendMs;
  });
}

function percentile(h: Uint32Array, q: number): number {
  const total = h.reduce((n, x) => n + x, 0);
  if (total === 0) return -1; // nothing came back
  const want = Math.floor(total * q);
  let seen = 0;
  for (let i = 0; i <= HIST_US; i++) {
    seen += h[i]!;
    if (seen > want) return i;
  }
  return HIST_US;
}

function figures(): string {
  let started = 0,
    sent = 0,
    received = 0,
    expected = 0,
    span = 0,
    wSent = 0,
    wReceived = 0,
    wExpected = 0,
    wCalls = 0;
  for (const c of calls) {
    started += c.started ? 1 : 0;
    sent += c.sent;
    received += c.received;
    if (c.low !== undefined && c.high !== undefined) {
      expected += c.high - c.low + 1;
      span += Math.round((c.lastRxMs - c.firstRxMs) / FRAME_MS) + 1;
    }
    wSent += c.wSent;
    wReceived += c.wReceived;
    if (c.wLow !== undefined && c.wHigh !== undefined) {
      wExpected += c.wHigh - c.wLow + 1;
      wCalls++;
    }
  }
  const p = (h: Uint32Array): string => [0.5, 0.99, 1 - 1e-12].map((q) => percentile(h, q)).join(' ');
  return `figures ${started} ${sent} ${received} ${expected} ${span} ${p(hist)} ${Math.round(maxLagMs * 1000)} ${wSent} ${wReceived} ${wExpected} ${p(wHist)} ${wCalls} ${Math.round(windowMs * 1000)} ${hist[HIST_US]} ${wHist[HIST_US]}`;
}

function setWindow(open: number): void {
  if (open && !windowOpen) windowSinceMs = performance.now();
  if (!open && windowOpen) windowMs += performance.now() - windowSinceMs;
  windowOpen = open;
}

async function closeCalls(): Promise<void> {
  clearTimeout(timer);
  timer = undefined;
  await Promise.all(calls.map((c) => new Promise<void>((resolve) => c.socket.close(() => resolve()))));
  calls = [];
}

const rl = createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const [cmd, ...args] = line.trim().split(' ');
  if (cmd === 'open') console.log(await open(Number(args[0]), args[1] ?? 'echo', Number(args[2])));
  else if (cmd === 'start') start(Number(args[0]), args[1] ?? '127.0.0.1', Number(args[2]));
  else if (cmd === 'window') setWindow(args[0] === 'on' ? 1 : 0);
  else if (cmd === 'figures') console.log(figures());
  else if (cmd === 'close') {
    await closeCalls();
    console.log('closed');
  }
});
rl.on('close', () => process.exit(0));
