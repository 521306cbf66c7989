/**
 * The benchmark's callers' media (a child process on the load core, driven by bench/media-streams/
 * run.ts through stdin/stdout, see child.ts): one UDP socket per call on 127.0.0.1, started when sipp
 * logs the call's answered media address (`MEDIA <our port> <ip> <port>`, bench/calls/scenarios/
 * uac-media.xml). Each call sends a 20 ms PCMU frame every 20 ms (call i in 1 ms slot i % 20) whose
 * payload carries a tag (frame-tag.ts) with the send time, and reads what comes back: the bot's echo
 * (tag with the bot's time) or the `echo` action's (the tag unchanged). Frames count when they were
 * sent inside the window the runner sets.
 */
import dgram from 'node:dgram';
import { open as openFile } from 'node:fs/promises';
import { serveRequests } from './child.ts';
import { FRAME_BYTES, nowUs, readTag, writeTag } from './frame-tag.ts';
import { inWindow, LatencyHistogram, SeenFrames, type UsWindow } from './latency.ts';

const SLOTS = 20;
const MAX_CALLS = 5000;

interface Call {
  index: number;
  socket: dgram.Socket;
  port: number;
  started: boolean;
  untilUs: number;
  seq: number;
  rtpSeq: number;
  ssrc: number;
}

let calls: Call[] = [];
let sendUs = 0;
let window: UsWindow | undefined;
let timer: NodeJS.Timeout | undefined;
let poller: NodeJS.Timeout | undefined;
let counts = freshCounts();

function freshCounts() {
  return {
    sentTotal: 0,
    sent: 0,
    back: 0,
    untagged: 0,
    maxSendLagMs: 0,
    seen: new SeenFrames(),
    roundTrip: new LatencyHistogram(),
    fromBot: new LatencyHistogram(),
  };
}

function onPacket(buf: Buffer): void {
  if (buf.length < 12 || (buf[0]! & 0xc0) !== 0x80) return;
  const pt = buf[1]! & 0x7f;
  if (pt !== 0) return; // PCMU only: telephone-event and comfort noise are not ours
  let at = 12 + 4 * (buf[0]! & 0x0f);
  if (buf[0]! & 0x10 && buf.length >= at + 4) at += 4 + 4 * buf.readUInt16BE(at + 2);
  const tag = readTag(buf.subarray(at));
  const now = nowUs();
  if (!tag) {
    counts.untagged++;
    return;
  }
  if (!inWindow(window, tag.sentUs) || !counts.seen.add(tag.call, tag.seq)) return;
  counts.back++;
  counts.roundTrip.add(now - tag.sentUs);
  if (tag.botUs > 0) counts.fromBot.add(now - tag.botUs);
}

async function openCalls(n: number, ms: number): Promise<{ ports: number[] }> {
  if (!Number.isInteger(n) || n < 1 || n > MAX_CALLS) throw new Error(`calls must be 1–${MAX_CALLS}`);
  await closeCalls();
  counts = freshCounts();
  window = undefined;
  sendUs = ms * 1000;
  for (let i = 0; i < n; i++) {
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.on('message', onPacket);
    socket.on('error', () => undefined);
    calls.push({
      index: i,
      socket,
      port: socket.address().port,
      started: false,
      untilUs: 0,
      seq: 0,
      rtpSeq: Math.floor(Math.random() * 0x10000),
      ssrc: (Math.random() * 0x100000000) >>> 0,
    });
  }
  const startMs = performance.now();
  let slot = 0;
  const tick = (): void => {
    const now = performance.now();
    for (; startMs + slot <= now; slot++) sendSlot(slot, now - (startMs + slot));
    timer = setTimeout(tick, Math.max(0, startMs + slot - performance.now()));
  };
  timer = setTimeout(tick, 0);
  return { ports: calls.map((c) => c.port) };
}

function sendSlot(slot: number, lagMs: number): void {
  for (let j = slot % SLOTS; j < calls.length; j += SLOTS) {
    const c = calls[j]!;
    if (!c.started) continue;
    const sentUs = nowUs();
    if (sentUs >= c.untilUs) continue;
    counts.maxSendLagMs = Math.max(counts.maxSendLagMs, lagMs);
    // A fresh buffer per packet: dgram sends asynchronously.
    const packet = Buffer.allocUnsafe(12 + FRAME_BYTES);
    packet[0] = 0x80;
    packet[1] = c.seq === 0 ? 0x80 : 0; // RFC 3550 §5.1: PT 0 (PCMU), marker on the first
    packet.writeUInt16BE((c.rtpSeq + c.seq) & 0xffff, 2);
    packet.writeUInt32BE((c.seq * FRAME_BYTES) >>> 0, 4);
    packet.writeUInt32BE(c.ssrc, 8);
    writeTag(packet.subarray(12), { call: c.index, seq: c.seq, sentUs, botUs: 0 });
    c.socket.send(packet);
    counts.sentTotal++;
    if (inWindow(window, sentUs)) counts.sent++;
    c.seq++;
  }
}

function startCall(port: number, ip: string, remotePort: number): void {
  const c = calls.find((x) => x.port === port);
  if (!c || c.untilUs > 0) return;
  c.untilUs = Number.POSITIVE_INFINITY;
  // Sending before the connect completes would throw: the call starts in its callback.
  c.socket.connect(remotePort, ip, () => {
    c.started = true;
    c.untilUs = nowUs() + sendUs;
  });
}

/** Polls sipp's log file and starts each call on its `MEDIA` line. */
function follow(logFile: string): void {
  clearInterval(poller);
  let offset = 0;
  let partial = '';
  let reading = false;
  poller = setInterval(() => {
    if (reading) return;
    reading = true;
    void (async () => {
      const handle = await openFile(logFile, 'r').catch(() => undefined);
      if (!handle) return;
      try {
        const buf = Buffer.alloc(1 << 16);
        for (;;) {
          const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          const lines = (partial + buf.subarray(0, bytesRead).toString('latin1')).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) {
            const m = /MEDIA (\d+) ([\d.]+) (\d+)/.exec(line);
            if (m) startCall(Number(m[1]), m[2]!, Number(m[3]));
          }
        }
      } finally {
        await handle.close();
      }
    })().finally(() => (reading = false));
  }, 50);
}

async function closeCalls(): Promise<void> {
  clearTimeout(timer);
  clearInterval(poller);
  await Promise.all(calls.map((c) => new Promise<void>((resolve) => c.socket.close(() => resolve()))));
  calls = [];
}

function figures() {
  return {
    started: calls.filter((c) => c.started).length,
    sentTotal: counts.sentTotal,
    sent: counts.sent,
    back: counts.back,
    untagged: counts.untagged,
    maxSendLagMs: counts.maxSendLagMs,
    roundTrip: counts.roundTrip.figures(),
    fromBot: counts.fromBot.figures(),
  };
}

/** What the callers report for the window: see {@link figures}. */
export type CallerFigures = ReturnType<typeof figures>;

serveRequests(async (m) => {
  if (m.cmd === 'open') return openCalls(Number(m.calls), Number(m.sendMs));
  if (m.cmd === 'follow') return follow(String(m.logFile));
  if (m.cmd === 'window') return void (window = { fromUs: Number(m.fromUs), toUs: Number(m.toUs) });
  if (m.cmd === 'figures') return figures();
  if (m.cmd === 'close') return closeCalls();
  throw new Error(`unknown command ${String(m.cmd)}`);
}, closeCalls);
