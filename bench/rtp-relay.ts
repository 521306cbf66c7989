/**
 * RTP relay benchmark: N bridged calls (two legs each, 50 packets/s per direction) over loopback,
 * driven by a load generator in a child process (bench/relay/), so `process.cpuUsage()` of this
 * process counts only the relay. Ramps N to find the most calls with < 0.1 % loss and p99 added
 * latency < 5 ms, and measures a bare dgram forwarder (receive → send to a fixed address, no
 * header rewrite) the same way as the baseline, with the same generator and pacing.
 *
 * Load generator: a small C program (bench/relay/rtp-gen.c, built at run time with the system's
 * cc into the ignored .tmp/ folder), or a Node one when cc is missing or RTP_GEN=node (the output
 * says which). One UDP socket per phone, connected to its relay port. The C generator sleeps only
 * on its 1 ms slot timer and collects replies then, so a relayed packet never pays (in the relay's
 * send) for waking the generator, as a send to a network card would not.
 * Pacing: the 2N phones are spread over twenty 1 ms slots of each 20 ms period (phone j sends in
 * slot j % 20), as independent phones' phases are; both legs of a call sit in different slots.
 * Latency: receive time minus the send time carried in the payload; the C generator takes the
 * kernel's receive timestamp (SO_TIMESTAMPNS), so its own wake-up delay is not counted. The first
 * 0.5 s of each step is warm-up and not counted in the percentiles; loss counts the whole step.
 * gen_cpu_pct is the generator's CPU over the step in % of one core, to show it is not the limit.
 * Run: node --import tsx bench/rtp-relay.ts [--realtime]   (relay pinned to core 0, generator to
 * core 1). On a host shared with other work, --realtime runs both at SCHED_FIFO priority (needs
 * root or CAP_SYS_NICE), so other processes' use of core 0 does not show up as relay latency: the
 * figures then describe a core given to the relay. The first output line says which applied.
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { PCMU, PortAllocator, RelayBridge, RtpSession } from '../src/media/index.ts';
import { LoadGenerator } from './relay/generator.ts';

/** Figures of one step of the ramp. */
export interface RelayStep {
  calls: number;
  packetsRelayed: number;
  cpuUsPerPacket: number;
  lossPct: number;
  p50Ms: number;
  p99Ms: number;
  /** The generator's CPU during the step, % of one core. */
  generatorCpuPct: number;
}

/** The benchmark's result: relay and baseline steps, and the largest N within the limits. */
export interface RelayBenchResult {
  parallelism: number;
  generator: string;
  scheduling: string;
  relay: RelayStep[];
  baseline: RelayStep[];
  maxCalls: number;
  ratio: number;
}

type Forwarding = { legPorts: [number, number][]; forwarded: () => number; close: () => void };

const LOOPBACK = '127.0.0.1';
const MAX_LOSS_PCT = 0.1;
const MAX_P99_MS = 5;

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
  s.setRecvBufferSize(1 << 20);
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

async function runStep(
  gen: LoadGenerator,
  calls: number,
  durationMs: number,
  open: (p: [number, number][]) => Promise<Forwarding>,
): Promise<RelayStep> {
  const phones = await gen.open(calls);
  const fwd = await open(phones);
  const cpuStart = process.cpuUsage();
  const result = await gen.run(fwd.legPorts, durationMs);
  const cpu = process.cpuUsage(cpuStart);
  const packetsRelayed = fwd.forwarded();
  fwd.close();
  await gen.close();
  return {
    calls,
    packetsRelayed,
    cpuUsPerPacket: (cpu.user + cpu.system) / Math.max(1, packetsRelayed),
    lossPct: (100 * (result.sent - result.received)) / Math.max(1, result.sent),
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    generatorCpuPct: result.cpuPct,
  };
}

/** Runs the ramp; small parameters make it a smoke test. */
export async function runRelayBench(
  options: {
    steps?: number[];
    durationMs?: number;
    pin?: boolean;
    realtime?: boolean;
    generator?: 'auto' | 'node';
  } = {},
): Promise<RelayBenchResult> {
  const steps = options.steps ?? [100, 200, 300, 400, 500, 600, 700, 800, 1000];
  const durationMs = options.durationMs ?? 3000;
  const gen = LoadGenerator.start(options.generator);
  // The relay (this process) on core 0 and the load generator on core 1.
  if (options.pin && os.availableParallelism() >= 2 && gen.pid !== undefined) {
    spawnSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
    spawnSync('taskset', ['-p', '-c', '1', String(gen.pid)], { stdio: 'ignore' });
  }
  let scheduling = 'normal';
  if (options.realtime && gen.pid !== undefined) {
    const ok = [process.pid, gen.pid].every(
      (pid) => spawnSync('chrt', ['-f', '-p', '10', String(pid)], { stdio: 'ignore' }).status === 0,
    );
    scheduling = ok ? 'SCHED_FIFO 10' : 'normal (chrt refused)';
  }
  const relay: RelayStep[] = [];
  const baseline: RelayStep[] = [];
  try {
    for (const calls of steps) {
      const step = await runStep(gen, calls, durationMs, openRelay);
      relay.push(step);
      baseline.push(await runStep(gen, calls, durationMs, openBaseline));
      // Past the loss limit, or far past the latency limit, larger N only measures an overloaded host.
      if (step.lossPct >= MAX_LOSS_PCT || step.p99Ms >= 4 * MAX_P99_MS) break;
    }
  } finally {
    gen.kill();
  }
  const ok = relay.filter((s) => s.lossPct < MAX_LOSS_PCT && s.p99Ms < MAX_P99_MS);
  const mean = (xs: RelayStep[]): number => xs.reduce((n, s) => n + s.cpuUsPerPacket, 0) / Math.max(1, xs.length);
  const generator =
    gen.kind === 'c'
      ? 'c (kernel receive timestamps)'
      : `node (${gen.fallbackReason ?? 'fallback'}; latency includes its receive delay)`;
  return {
    parallelism: os.cpus().length,
    generator,
    scheduling,
    relay,
    baseline,
    maxCalls: ok.at(-1)?.calls ?? 0,
    ratio: mean(relay) / mean(baseline),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await runRelayBench({ pin: true, realtime: process.argv.includes('--realtime') });
  console.log(
    `cores=${r.parallelism} (relay pinned to core 0, load generator to core 1) scheduling=${r.scheduling} generator=${r.generator}`,
  );
  console.log('pacing: each phone sends every 20 ms in its own 1 ms slot (phone j in slot j % 20)');
  for (const [name, steps] of [
    ['relay', r.relay],
    ['dgram-forwarder', r.baseline],
  ] as const) {
    for (const s of steps) {
      console.log(
        `${name} calls=${s.calls} packets=${s.packetsRelayed} cpu_us_per_packet=${s.cpuUsPerPacket.toFixed(2)} loss_pct=${s.lossPct.toFixed(3)} p50_ms=${s.p50Ms.toFixed(2)} p99_ms=${s.p99Ms.toFixed(2)} gen_cpu_pct=${s.generatorCpuPct.toFixed(1)}`,
      );
    }
  }
  console.log(
    `max_bridged_calls(loss<${MAX_LOSS_PCT}%, p99<${MAX_P99_MS}ms)=${r.maxCalls} relay/baseline_cpu_ratio=${r.ratio.toFixed(2)}`,
  );
}
