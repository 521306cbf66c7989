/**
 * WebRTC benchmark (docs/benchmarks.md "WebRTC legs"): N calls, each a browser-style WebRTC leg
 * (ICE, DTLS-SRTP through werift) bridged by callbin to a second leg, beside the same bridge with a
 * plain RTP leg in the browser's place, in the same run:
 * - `transcode`: WebRTC (Opus, or PCMU) ↔ plain RTP G.711, decoded and re-encoded both ways;
 * - `relay`: WebRTC ↔ WebRTC with the same codec, header-rewriting relay (MediaEndpoint.relayBridge).
 * This process is the server (pinned to core 1; `process.cpuUsage()` counts only it); the load
 * (bench/webrtc/load.ts: werift peers as browsers, UDP sockets as RTP phones, the echoing far
 * ends) is a child process pinned to core 0. Per step the front phones send 50 packets/s and the
 * far ends echo; round trip and loss as described in load.ts. CPU, loss and round trips are counted
 * after a warm-up; call set-up (ICE, DTLS handshakes) is not. The delay a browser leg adds one
 * way is half the difference of the round trips of the WebRTC and the plain RTP rows of the same
 * bridge kind and N (the path crosses the front leg twice).
 * Run: node --import tsx bench/webrtc.ts [--quick] [--levels 10,25] [--hold s] [--codec opus|PCMU]
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MediaClock, OpusCodec, PortAllocator } from '../src/media/index.ts';
import { numberFlag } from './cli-args.ts';
import { LoadClient } from './webrtc/load-client.ts';
import type { PhoneCodec } from './webrtc/protocol.ts';
import { CallSet, type BridgeKind, type FrontTransport } from './webrtc/server-calls.ts';

/** Figures of one step: one bridge kind, one front transport, N calls. */
export interface WebRtcStep {
  kind: BridgeKind;
  front: FrontTransport;
  codec: PhoneCodec;
  calls: number;
  /** Server CPU over the hold, % of one core. */
  serverCpuPct: number;
  cpuUsPerCallSecond: number;
  /** Server CPU per packet its legs received. */
  cpuUsPerPacket: number;
  /** relay: tagged packets that never came back; transcode: sequence gaps at every receiver (server legs and load phones). */
  lossPct: number;
  /** transcode: bursts not heard back within 400 ms, % of those sent. */
  burstMissPct: number;
  rttP50Ms: number;
  rttP99Ms: number;
  loadCpuPct: number;
}

/** The WebRTC rows of one bridge kind and N against their plain RTP rows. */
export interface WebRtcComparison {
  kind: BridgeKind;
  calls: number;
  /** WebRTC CPU over plain RTP CPU per call-second. */
  cpuRatio: number;
  /** Half the round-trip difference: what the browser leg adds one way. */
  addedOneWayP50Ms: number;
  addedOneWayP99Ms: number;
}

export interface WebRtcBenchResult {
  parallelism: number;
  pinned: boolean;
  codec: PhoneCodec;
  steps: WebRtcStep[];
  comparisons: WebRtcComparison[];
}

export interface WebRtcBenchOptions {
  levels?: number[];
  holdMs?: number;
  warmupMs?: number;
  codec?: PhoneCodec;
  kinds?: BridgeKind[];
  pin?: boolean;
}

/** Opus when this build of callbin can encode it, else PCMU. */
export function defaultCodec(): PhoneCodec {
  try {
    const c = new OpusCodec(111);
    const ok = c.encodeFrame(new Int16Array(160)).length > 0;
    c.close();
    return ok ? 'opus' : 'PCMU';
  } catch {
    return 'PCMU';
  }
}

async function runStep(
  load: LoadClient,
  base: { allocator: PortAllocator; mediaClock: MediaClock; codec: PhoneCodec },
  kind: BridgeKind,
  front: FrontTransport,
  calls: number,
  holdMs: number,
  warmupMs: number,
): Promise<WebRtcStep> {
  const set = await CallSet.open({ ...base, kind, front, calls, load });
  try {
    const running = load.run(set.roles, kind === 'relay' ? 'tag' : 'burst', holdMs, warmupMs);
    await new Promise((r) => setTimeout(r, warmupMs));
    const c0 = set.counters();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, holdMs - warmupMs));
    const cpu = process.cpuUsage(cpu0);
    const seconds = (performance.now() - t0) / 1000;
    const c1 = set.counters();
    const r = await running;
    const cpuUs = cpu.user + cpu.system;
    const received = c1.received - c0.received;
    const serverLost = c1.lost - c0.lost;
    const lossPct =
      kind === 'relay'
        ? (100 * (r.tagsSent - r.tagsBack)) / Math.max(1, r.tagsSent)
        : (100 * (serverLost + r.gaps)) / Math.max(1, received + serverLost + r.received + r.gaps);
    return {
      kind,
      front,
      codec: base.codec,
      calls,
      serverCpuPct: cpuUs / 1e4 / seconds,
      cpuUsPerCallSecond: cpuUs / calls / seconds,
      cpuUsPerPacket: cpuUs / Math.max(1, received),
      lossPct: Math.max(0, lossPct),
      burstMissPct: kind === 'relay' ? 0 : (100 * (r.burstsSent - r.burstsHeard)) / Math.max(1, r.burstsSent),
      rttP50Ms: r.rttP50,
      rttP99Ms: r.rttP99,
      loadCpuPct: r.cpuPct,
    };
  } finally {
    await set.close();
  }
}

function compare(steps: WebRtcStep[]): WebRtcComparison[] {
  const out: WebRtcComparison[] = [];
  for (const w of steps.filter((s) => s.front === 'webrtc')) {
    const r = steps.find((s) => s.front === 'rtp' && s.kind === w.kind && s.calls === w.calls);
    if (!r) continue;
    out.push({
      kind: w.kind,
      calls: w.calls,
      cpuRatio: w.cpuUsPerCallSecond / Math.max(1e-9, r.cpuUsPerCallSecond),
      addedOneWayP50Ms: (w.rttP50Ms - r.rttP50Ms) / 2,
      addedOneWayP99Ms: (w.rttP99Ms - r.rttP99Ms) / 2,
    });
  }
  return out;
}

/** Runs the ladder; small parameters make it a smoke test. */
export async function runWebRtcBench(options: WebRtcBenchOptions = {}): Promise<WebRtcBenchResult> {
  const levels = options.levels ?? [10, 25, 50, 100];
  const holdMs = options.holdMs ?? 10_000;
  const warmupMs = options.warmupMs ?? Math.min(1000, holdMs / 4);
  const codec = options.codec ?? defaultCodec();
  const kinds = options.kinds ?? ['transcode', 'relay'];
  const parallelism = os.availableParallelism();
  const load = new LoadClient();
  let pinned = false;
  if (options.pin && parallelism >= 2 && load.pid !== undefined) {
    pinned = [
      spawnSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' }),
      spawnSync('taskset', ['-p', '-c', '0', String(load.pid)], { stdio: 'ignore' }),
    ].every((r) => r.status === 0);
  }
  const allocator = new PortAllocator({ minPort: 40000, maxPort: 44999, receiveBufferBytes: 1 << 20 });
  const mediaClock = new MediaClock();
  const steps: WebRtcStep[] = [];
  try {
    for (const kind of kinds) {
      for (const calls of levels) {
        const w = await runStep(load, { allocator, mediaClock, codec }, kind, 'webrtc', calls, holdMs, warmupMs);
        steps.push(w);
        steps.push(await runStep(load, { allocator, mediaClock, codec }, kind, 'rtp', calls, holdMs, warmupMs));
        // Past 1 % loss larger N only measures an overloaded host.
        if (w.lossPct >= 1) break;
      }
    }
  } finally {
    mediaClock.close();
    await load.stop();
  }
  return { parallelism, pinned, codec, steps, comparisons: compare(steps) };
}

function parseCodec(argv: readonly string[]): PhoneCodec | undefined {
  const i = argv.indexOf('--codec');
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === 'opus' || v === 'PCMU') return v;
  throw new Error(`--codec takes opus or PCMU, not ${v}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const levelsAt = argv.indexOf('--levels');
  const levels =
    levelsAt >= 0
      ? (argv[levelsAt + 1] ?? '')
          .split(',')
          .map(Number)
          .filter((n) => n > 0)
      : quick
        ? [5, 20]
        : undefined;
  const holdMs = numberFlag(argv, '--hold', quick ? 4 : 10) * 1000;
  const codec = parseCodec(argv);
  const r = await runWebRtcBench({ pin: true, holdMs, ...(levels ? { levels } : {}), ...(codec ? { codec } : {}) });
  console.log(
    `cores=${r.parallelism} pinned=${r.pinned ? 'server core 1, load core 0' : 'no'} webrtc_codec=${r.codec} hold_s=${holdMs / 1000}`,
  );
  for (const s of r.steps) {
    const leg = s.front === 'webrtc' ? `webrtc-${s.codec}` : `rtp-${s.codec}`;
    const far = s.kind === 'transcode' ? 'rtp-PCMU(decoded)' : `${leg}(relayed)`;
    console.log(
      `${s.kind} ${leg}<->${far} calls=${s.calls} server_cpu_pct=${s.serverCpuPct.toFixed(1)} cpu_us_per_call_s=${s.cpuUsPerCallSecond.toFixed(0)} cpu_us_per_packet=${s.cpuUsPerPacket.toFixed(1)} loss_pct=${s.lossPct.toFixed(3)}${s.kind === 'transcode' ? ` burst_miss_pct=${s.burstMissPct.toFixed(2)}` : ''} rtt_p50_ms=${s.rttP50Ms.toFixed(1)} rtt_p99_ms=${s.rttP99Ms.toFixed(1)} load_cpu_pct=${s.loadCpuPct.toFixed(1)}`,
    );
  }
  for (const c of r.comparisons) {
    console.log(
      `${c.kind} calls=${c.calls} webrtc/rtp_cpu_ratio=${c.cpuRatio.toFixed(2)} webrtc_added_one_way_ms p50=${c.addedOneWayP50Ms.toFixed(1)} p99=${c.addedOneWayP99Ms.toFixed(1)} (budget 40)`,
    );
  }
}
