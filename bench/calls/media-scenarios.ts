import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SipTarget } from './bench-env.ts';
import { RtpPeer } from './rtp-peer.ts';
import { runSippClient } from './sipp-run.ts';
import type { CpuPin } from './sipp-run.ts';

/** The most RTP loss a level may show to count (the 0.1 %). */
export const MAX_RTP_LOSS_PCT = 0.1;

/** One level of concurrent calls with media. */
export interface MediaLevel {
  calls: number;
  /** Calls whose 200 OK arrived. */
  established: number;
  failed: number;
  lossPct: number;
  packetsSent: number;
  packetsReceived: number;
  /** Server CPU while every call was up, % of one core. */
  cpuPct: number;
  /** Server RSS peak while the calls were up. */
  peakRssBytes: number;
  ok: boolean;
  /** sipp's last output when calls failed. */
  error?: string;
}

/** How the callers' media is measured: echoed back by the callee, or heard from the server. */
export type MediaMode = 'echo' | 'listen';

/**
 * Holds `calls` calls with media for `holdMs`: they are set up at `setupRatePerSec`, each caller
 * sends 50 packets/s; CPU and RSS are sampled while all calls are up.
 */
export async function runMediaLevel(target: SipTarget, o: { calls: number; holdMs: number; setupRatePerSec: number; mode: MediaMode; service: string; pin: CpuPin }): Promise<MediaLevel> {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-bench-media-'));
  const rampMs = (o.calls / o.setupRatePerSec) * 1000;
  const peer = await RtpPeer.open(o.calls, { mode: o.mode, sendMs: Math.max(500, o.holdMs - 1000) });
  try {
    const injection = join(dir, 'ports.csv');
    await writeFile(injection, peer.injectionCsv());
    const logFile = join(dir, 'media.log');
    let window: { cpu0: number; t0: number; cpuMs: number; wallMs: number; peakRss: number } | undefined;
    const timers: NodeJS.Timeout[] = [];
    // The steady window: after the last call is up, until the first one hangs up.
    const startMs = rampMs + 500;
    const endMs = Math.max(startMs + 200, o.holdMs - 300);
    const sipp = runSippClient({
      scenario: 'uac-media.xml', target, localPort: target.callerPort, service: o.service,
      ratePerSec: o.setupRatePerSec, calls: o.calls, maxConcurrent: o.calls, pauseMs: o.holdMs, pin: o.pin,
      extraArgs: ['-inf', injection, '-trace_logs', '-log_file', logFile],
      timeoutMs: rampMs + o.holdMs + 60_000,
      onStart: () => {
        peer.follow(logFile);
        timers.push(setTimeout(() => (window = { cpu0: target.probe.cpuMs(), t0: performance.now(), cpuMs: 0, wallMs: 0, peakRss: target.probe.rssBytes() }), startMs));
        timers.push(setInterval(() => window && window.wallMs === 0 && (window.peakRss = Math.max(window.peakRss, target.probe.rssBytes())), 1000));
        timers.push(setTimeout(() => {
          if (!window) return;
          window.cpuMs = target.probe.cpuMs() - window.cpu0;
          window.wallMs = performance.now() - window.t0;
          window.peakRss = Math.max(window.peakRss, target.probe.rssBytes());
        }, endMs));
      },
    });
    const { stats, output } = await sipp.finally(() => timers.forEach((t) => clearTimeout(t)));
    // Echoes still in flight when the callers stopped sending.
    await new Promise((r) => setTimeout(r, 300));
    const f = peer.figures();
    const failed = Math.max(stats.failed, o.calls - stats.successful);
    return {
      calls: o.calls, established: f.calls, failed, lossPct: f.lossPct, packetsSent: f.sent, packetsReceived: f.received,
      cpuPct: window && window.wallMs > 0 ? (window.cpuMs / window.wallMs) * 100 : NaN,
      peakRssBytes: window?.peakRss ?? NaN,
      ok: failed === 0 && f.calls === o.calls && f.lossPct < MAX_RTP_LOSS_PCT,
      ...(failed > 0 ? { error: output.slice(-600) } : {}),
    };
  } finally {
    await peer.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The outcome of raising the number of concurrent media calls. */
export interface MediaLadder {
  levels: MediaLevel[];
  /** Largest level that passed (0 when none). */
  maxCalls: number;
  cpuPctAtMax: number;
  peakRssBytesAtMax: number;
}

/** Loss past which a ladder stops climbing. */
const GIVE_UP_LOSS_PCT = 5;

/** Runs `levels` in order; the largest level under 0.1 % loss counts; stops at a failed call or 5 % loss. */
export async function runMediaLadder(target: SipTarget, o: { levels: readonly number[]; holdMs: number; setupRatePerSec: number; mode: MediaMode; service: string; pin: CpuPin }): Promise<MediaLadder> {
  const levels: MediaLevel[] = [];
  let best: MediaLevel | undefined;
  for (const calls of o.levels) {
    const level = await runMediaLevel(target, { ...o, calls });
    levels.push(level);
    console.log(`  ${target.name.padEnd(20)} ${o.mode} ${JSON.stringify({ ...level, lossPct: +level.lossPct.toFixed(3), cpuPct: +level.cpuPct.toFixed(1) })}`);
    if (level.ok) best = level;
    // Past the limit, keep climbing only while it stays measurable, for the CPU-versus-calls table.
    if (level.failed > 0 || level.lossPct >= GIVE_UP_LOSS_PCT) break;
    if (calls !== o.levels[o.levels.length - 1]) await new Promise((r) => setTimeout(r, 1500));
  }
  return { levels, maxCalls: best?.calls ?? 0, cpuPctAtMax: best?.cpuPct ?? NaN, peakRssBytesAtMax: best?.peakRssBytes ?? NaN };
}
