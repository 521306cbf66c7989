/**
 * RTP relay benchmark: N bridged calls (two legs each, 50 packets/s per direction) over loopback,
 * driven by a load generator in a child process so that `process.cpuUsage()` of this process
 * counts only the relay. Ramps N to find the most calls with < 0.1 % loss and p99 < 5 ms, and
 * measures a bare dgram forwarder (receive → send unchanged) the same way as the baseline.
 * Run: node --import tsx bench/rtp-relay.ts
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { PCMU, PortAllocator, RelayBridge, RtpSession, serializeRtpPacket } from '../src/media/index.ts';

/** Figures of one step of the ramp. */
export interface RelayStep {
  calls: number;
  packetsRelayed: number;
  cpuUsPerPacket: number;
  lossPct: number;
  p99Ms: number;
}

/** The benchmark's result: relay and baseline steps, and the largest N within the limits. */
export interface RelayBenchResult {
  parallelism: number;
  relay: RelayStep[];
  baseline: RelayStep[];
  maxCalls: number;
  ratio: number;
}

type GenResult = { sent: number; received: number; p99Ms: number };
type Forwarding = { legPorts: [number, number][]; forwarded: () => number; close: () => void };

const PACKET_MS = 20;
const LOOPBACK = '127.0.0.1';
const WARMUP_TICKS = 25;

function request<T>(child: ChildProcess, message: object, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string }): void => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send(message);
  });
}

async function openRelay(phonePorts: [number, number][]): Promise<Forwarding> {
  const ports = new PortAllocator({ minPort: 30000, maxPort: 39999, receiveBufferBytes: 1 << 20 });
  const sessions: RtpSession[] = [];
  const bridges: RelayBridge[] = [];
  const legPorts: [number, number][] = [];
  for (const [pa, pb] of phonePorts) {
    const a = await RtpSession.open({ ports, codec: PCMU, remote: { address: LOOPBACK, port: pa } });
    const b = await RtpSession.open({ ports, codec: PCMU, remote: { address: LOOPBACK, port: pb } });
    sessions.push(a, b);
    bridges.push(new RelayBridge(a, b));
    legPorts.push([a.localPort, b.localPort]);
  }
  return {
    legPorts,
    forwarded: () => bridges.reduce((n, br) => n + br.aToB.forwarded + br.bToA.forwarded, 0),
    close: () => {
      for (const b of bridges) b.close();
      for (const s of sessions) s.close();
    },
  };
}

async function bindLoopback(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, LOOPBACK, resolve));
  return s;
}

async function openBaseline(phonePorts: [number, number][]): Promise<Forwarding> {
  const sockets: dgram.Socket[] = [];
  const legPorts: [number, number][] = [];
  let forwarded = 0;
  for (const [pa, pb] of phonePorts) {
    const a = await bindLoopback();
    const b = await bindLoopback();
    a.on('message', (m) => {
      forwarded++;
      b.send(m as unknown as Uint8Array, pb, LOOPBACK);
    });
    b.on('message', (m) => {
      forwarded++;
      a.send(m as unknown as Uint8Array, pa, LOOPBACK);
    });
    sockets.push(a, b);
    legPorts.push([a.address().port, b.address().port]);
  }
  return { legPorts, forwarded: () => forwarded, close: () => sockets.forEach((s) => s.close()) };
}

async function runStep(child: ChildProcess, calls: number, durationMs: number, open: (p: [number, number][]) => Promise<Forwarding>): Promise<RelayStep> {
  const { ports } = await request<{ ports: [number, number][] }>(child, { type: 'open', calls }, 'ports');
  const fwd = await open(ports);
  const cpuStart = process.cpuUsage();
  const result = await request<GenResult>(child, { type: 'run', targets: fwd.legPorts, durationMs }, 'result');
  const cpu = process.cpuUsage(cpuStart);
  const packetsRelayed = fwd.forwarded();
  fwd.close();
  await request(child, { type: 'close' }, 'closed');
  return {
    calls, packetsRelayed, cpuUsPerPacket: (cpu.user + cpu.system) / Math.max(1, packetsRelayed),
    lossPct: (100 * (result.sent - result.received)) / Math.max(1, result.sent), p99Ms: result.p99Ms,
  };
}

/** Runs the ramp; small parameters make it a smoke test. */
export async function runRelayBench(options: { steps?: number[]; durationMs?: number; pin?: boolean } = {}): Promise<RelayBenchResult> {
  const steps = options.steps ?? [50, 100, 200, 400, 800];
  const durationMs = options.durationMs ?? 3000;
  const child = fork(fileURLToPath(import.meta.url), ['--generator'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // The relay (this process) on core 0 and the load generator on core 1, as the set-up asks.
  if (options.pin && os.availableParallelism() >= 2 && child.pid !== undefined) {
    spawnSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
    spawnSync('taskset', ['-p', '-c', '1', String(child.pid)], { stdio: 'ignore' });
  }
  const relay: RelayStep[] = [];
  const baseline: RelayStep[] = [];
  try {
    for (const calls of steps) {
      const step = await runStep(child, calls, durationMs, openRelay);
      relay.push(step);
      baseline.push(await runStep(child, calls, durationMs, openBaseline));
      // Past the loss limit, or far past the latency limit, larger N only measures an overloaded host.
      if (step.lossPct >= 0.1 || step.p99Ms >= 4 * 5) break;
    }
  } finally {
    child.kill();
  }
  const ok = relay.filter((s) => s.lossPct < 0.1 && s.p99Ms < 5);
  const mean = (xs: RelayStep[]): number => xs.reduce((n, s) => n + s.cpuUsPerPacket, 0) / Math.max(1, xs.length);
  return { parallelism: os.cpus().length, relay, baseline, maxCalls: ok.at(-1)?.calls ?? 0, ratio: mean(relay) / mean(baseline) };
}

/** The generator (child process): one socket per phone, 50 packets/s each, latency from an embedded send time. */
function generator(): void {
  let sockets: dgram.Socket[] = [];
  let latencies: number[] = [];
  let received = 0;
  let warmupTicks = WARMUP_TICKS;
  process.on('message', async (m: { type: string; calls?: number; targets?: [number, number][]; durationMs?: number }) => {
    if (m.type === 'open') {
      sockets = [];
      latencies = [];
      received = 0;
      for (let i = 0; i < (m.calls ?? 0) * 2; i++) {
        const s = await bindLoopback();
        s.on('message', (buf) => {
          received++;
          // The first half second warms up the JIT and socket paths; latency counts after it.
          if (buf.readUInt16BE(2) >= warmupTicks) latencies.push(Number(process.hrtime.bigint() - buf.readBigUInt64BE(12)) / 1e6);
        });
        sockets.push(s);
      }
      const ports: [number, number][] = [];
      for (let i = 0; i < sockets.length; i += 2) ports.push([sockets[i]!.address().port, sockets[i + 1]!.address().port]);
      process.send?.({ type: 'ports', ports });
    } else if (m.type === 'run') {
      warmupTicks = Math.min(WARMUP_TICKS, Math.floor((m.durationMs ?? 1000) / PACKET_MS / 4));
      const sent = await drive(sockets, (m.targets ?? []).flat(), m.durationMs ?? 1000);
      await new Promise((r) => setTimeout(r, 300));
      latencies.sort((a, b) => a - b);
      process.send?.({ type: 'result', sent, received, p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? latencies.at(-1) ?? Infinity });
    } else if (m.type === 'close') {
      for (const s of sockets) s.close();
      process.send?.({ type: 'closed' });
    }
  });
}

/** Sends one packet per socket every 20 ms, spread over four 5 ms phases as independent phones would be. */
async function drive(sockets: dgram.Socket[], targets: number[], durationMs: number): Promise<number> {
  const packet = serializeRtpPacket({ payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 1, payload: new Uint8Array(160) });
  const view = new DataView(packet.buffer);
  const phases = 4;
  const phaseMs = PACKET_MS / phases;
  const start = Date.now();
  let sent = 0;
  for (let step = 0; step * phaseMs < durationMs; step++) {
    const tick = Math.floor(step / phases);
    view.setUint16(2, tick & 0xffff);
    view.setUint32(4, tick * 160);
    for (let i = step % phases; i < sockets.length; i += phases) {
      view.setBigUint64(12, process.hrtime.bigint());
      sockets[i]!.send(packet, targets[i]!, LOOPBACK);
      sent++;
    }
    const due = start + (step + 1) * phaseMs;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
  }
  return sent;
}

if (process.argv[2] === '--generator') generator();
else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await runRelayBench({ pin: true });
  console.log(`cores=${r.parallelism} (relay pinned to core 0, load generator to core 1)`);
  for (const [name, steps] of [['relay', r.relay], ['dgram-forwarder', r.baseline]] as const) {
    for (const s of steps) console.log(`${name} calls=${s.calls} packets=${s.packetsRelayed} cpu_us_per_packet=${s.cpuUsPerPacket.toFixed(2)} loss_pct=${s.lossPct.toFixed(3)} p99_ms=${s.p99Ms.toFixed(2)}`);
  }
  console.log(`max_bridged_calls(loss<0.1%, p99<5ms)=${r.maxCalls} relay/baseline_cpu_ratio=${r.ratio.toFixed(2)}`);
}
