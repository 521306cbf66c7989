import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SipTarget } from './bench-env.ts';
import { LoadProbe, sippPidIn } from './media/load-probe.ts';
import type { LoadCpu, UdpDrops } from './media/load-probe.ts';
import { RtpPeer } from './rtp-peer.ts';
import { runSippClient } from './sipp-run.ts';
import type { CpuPin } from './sipp-run.ts';

/** The most RTP loss a level may show to count (the issue's 0.1 %). */
export const MAX_RTP_LOSS_PCT = 0.1;

/** One level of concurrent calls with media. */
export interface MediaLevel {
  calls: number;
  /** Calls whose 200 OK arrived. */
  established: number;
  failed: number;
  /** RTP loss while every call was up (the hold window): what the level is judged on. Echo: a packet back 200 ms or later counts as lost. */
  lossPct: number;
  /** Echo: packets of the hold window back 200 ms or later (part of `lossPct`). */
  latePct?: number;
  /** Packets of the hold window: echo, sent by the callers; listen, spanned by the sequence numbers heard. */
  packetsSent: number;
  packetsReceived: number;
  /** RTP loss over every call's whole media, the set-up ramp (at `setupRatePerSec`) included. */
  callLossPct: number;
  /** Server CPU while every call was up, % of one core. */
  cpuPct: number;
  /** Server RSS peak while the calls were up. */
  peakRssBytes: number;
  /** Listen: packets heard per 50 expected per second of each call (gaps-free but slow sending shows here). */
  heardPct?: number;
  /** Echo: round trip caller → server → callee → server → caller in the hold window (p50, p99, max). */
  rttMs?: [number, number, number];
  /** The load side in the same window: is it the server that lost packets, or the load generator? */
  load: LoadCpu & { peer: 'c' | 'node'; maxSendLagMs: number };
  /** Datagrams dropped on full receive buffers in the hold window, and over the calls until its end, per party. */
  drops: { window: UdpDrops; calls: UdpDrops };
  ok: boolean;
  /** Why sipp says calls failed (its error lines, else the end of its output). */
  error?: string;
}

const NO_DROPS: UdpDrops = { server: NaN, uas: NaN, peer: NaN };

/** How the callers' media is measured: echoed back by the callee, or heard from the server. */
export type MediaMode = 'echo' | 'listen';

/** A ladder's settings (levels aside). */
export interface MediaRunOptions {
  holdMs: number;
  setupRatePerSec: number;
  mode: MediaMode;
  service: string;
  /** Core of the load side: sipp caller, RTP peer (and the sipp UAS, started elsewhere). */
  pin: CpuPin;
  /** Core of the server, for how busy it was (other processes included). */
  serverPin?: CpuPin;
  /** The callee's pids (sipp UAS, RTP echo), for their CPU and drops. */
  uasPids?: readonly number[];
  /** `node` forces the Node RTP peer (default: the C one when cc builds it). */
  peer?: 'auto' | 'node';
}

/** One level's settings. */
export interface MediaLevelOptions extends MediaRunOptions {
  calls: number;
}

/**
 * Holds `calls` calls with media for `holdMs`: they are set up at `setupRatePerSec`, each caller
 * sends 50 packets/s from its 200 OK for `holdMs` − 1 s. The hold window runs from 0.5 s after the
 * last call is up until the first caller stops sending: loss, round trip, server CPU and RSS and the
 * load side's CPU are taken in it; the whole-call loss covers the ramp too.
 */
export async function runMediaLevel(target: SipTarget, o: MediaLevelOptions): Promise<MediaLevel> {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-bench-media-'));
  const rampMs = (o.calls / o.setupRatePerSec) * 1000;
  const sendMs = Math.max(500, o.holdMs - 1000);
  const peer = await RtpPeer.open(o.calls, { mode: o.mode, sendMs, pin: o.pin, ...(o.peer ? { kind: o.peer } : {}) });
  const load = new LoadProbe(
    { peer: peer.pid, uas: o.uasPids ?? [], server: () => target.probe.pids() },
    { load: o.pin, server: o.serverPin },
  );
  let loadEnd: ReturnType<LoadProbe['end']> | undefined;
  try {
    const injection = join(dir, 'ports.csv');
    await writeFile(injection, peer.injectionCsv());
    const logFile = join(dir, 'media.log');
    let window: { cpu0: number; t0: number; cpuMs: number; wallMs: number; peakRss: number } | undefined;
    const timers: NodeJS.Timeout[] = [];
    const startMs = rampMs + 500;
    const endMs = Math.max(startMs + 200, sendMs);
    const sipp = runSippClient({
      scenario: 'uac-media.xml',
      target,
      localPort: target.callerPort,
      service: o.service,
      ratePerSec: o.setupRatePerSec,
      calls: o.calls,
      maxConcurrent: o.calls,
      pauseMs: o.holdMs,
      pin: o.pin,
      extraArgs: ['-inf', injection, '-trace_logs', '-log_file', logFile],
      timeoutMs: rampMs + o.holdMs + 60_000,
      onStart: (cwd) => {
        peer.follow(logFile);
        timers.push(
          setTimeout(() => {
            peer.window(true);
            load.setCaller(sippPidIn(cwd));
            load.begin();
            window = {
              cpu0: target.probe.cpuMs(),
              t0: performance.now(),
              cpuMs: 0,
              wallMs: 0,
              peakRss: target.probe.rssBytes(),
            };
          }, startMs),
        );
        timers.push(
          setInterval(
            () => window && window.wallMs === 0 && (window.peakRss = Math.max(window.peakRss, target.probe.rssBytes())),
            1000,
          ),
        );
        timers.push(
          setTimeout(() => {
            peer.window(false);
            if (!window) return;
            window.cpuMs = target.probe.cpuMs() - window.cpu0;
            window.wallMs = performance.now() - window.t0;
            window.peakRss = Math.max(window.peakRss, target.probe.rssBytes());
            loadEnd = load.end();
          }, endMs),
        );
      },
    });
    const { stats, output } = await sipp.finally(() => timers.forEach((t) => clearTimeout(t)));
    // Echoes still in flight when the callers stopped sending.
    await new Promise((r) => setTimeout(r, 300));
    const f = await peer.figures();
    const failed = Math.max(stats.failed, o.calls - stats.successful);
    return {
      calls: o.calls,
      established: f.calls,
      failed,
      lossPct: f.window.lossPct,
      packetsSent: f.window.sent,
      packetsReceived: f.window.received,
      callLossPct: f.whole.lossPct,
      cpuPct: window && window.wallMs > 0 ? (window.cpuMs / window.wallMs) * 100 : NaN,
      peakRssBytes: window?.peakRss ?? NaN,
      ...(f.heardPct !== undefined ? { heardPct: f.heardPct } : {}),
      ...(f.window.rttMs ? { rttMs: f.window.rttMs } : {}),
      ...(f.window.latePct !== undefined ? { latePct: f.window.latePct } : {}),
      load: {
        ...(loadEnd?.cpu ?? { peerPct: NaN, uasPct: NaN, callerPct: NaN, corePct: NaN, serverCorePct: NaN }),
        peer: f.kind,
        maxSendLagMs: f.maxSendLagMs,
      },
      drops: { window: loadEnd?.windowDrops ?? NO_DROPS, calls: loadEnd?.drops ?? NO_DROPS },
      ok: failed === 0 && f.calls === o.calls && f.window.lossPct < MAX_RTP_LOSS_PCT,
      ...(failed > 0 ? { error: sippErrors(output) } : {}),
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
export async function runMediaLadder(
  target: SipTarget,
  o: MediaRunOptions & { levels: readonly number[] },
): Promise<MediaLadder> {
  const levels: MediaLevel[] = [];
  let best: MediaLevel | undefined;
  for (const calls of o.levels) {
    const level = await runMediaLevel(target, { ...o, calls });
    levels.push(level);
    console.log(`  ${nameOf(target).padEnd(20)} ${o.mode.padEnd(6)} ${formatMediaLevel(level)}`);
    if (level.ok) best = level;
    // Past the limit, keep climbing only while it stays measurable, for the CPU-versus-calls table.
    if (level.failed > 0 || level.lossPct >= GIVE_UP_LOSS_PCT) break;
    if (calls !== o.levels[o.levels.length - 1]) await new Promise((r) => setTimeout(r, 1500));
  }
  return {
    levels,
    maxCalls: best?.calls ?? 0,
    cpuPctAtMax: best?.cpuPct ?? NaN,
    peakRssBytesAtMax: best?.peakRssBytes ?? NaN,
  };
}

/** The target's name, `callbin (decoded)` when its bridges skip the relay (`--decoded`, bench/calls.ts). */
function nameOf(target: SipTarget): string {
  const decoded = /^(0|false)$/i.test(process.env.CALLBIN_MEDIA_RELAY ?? '');
  return target.name === 'callbin' && decoded ? 'callbin (decoded)' : target.name;
}

/** The lines of sipp's output that say why calls failed (its statistics screen otherwise). */
function sippErrors(output: string): string {
  const lines = output
    .split('\n')
    .filter((l) => /error|unexpected|abort|timeout|refused|failed/i.test(l) && !/^\s*\|?\s*Failed call/.test(l));
  return (lines.length > 0 ? [...new Set(lines.map((l) => l.trim()))].slice(-8).join('\n') : output).slice(-800);
}

/** One level as the ladder prints it. */
export function formatMediaLevel(l: MediaLevel): string {
  const f = (v: number | undefined, d = 1): string => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
  const heard = l.heardPct !== undefined ? ` heard ${f(l.heardPct)} %` : '';
  const rtt = l.rttMs ? ` rtt p50/p99/max ${l.rttMs.map((v) => f(v, 2)).join('/')} ms (late ${f(l.latePct, 3)} %)` : '';
  const load =
    `load: peer(${l.load.peer}) ${f(l.load.peerPct)} % uas ${f(l.load.uasPct)} % caller ${f(l.load.callerPct)} % core ${f(l.load.corePct)} %, send lag ≤ ${f(l.load.maxSendLagMs)} ms` +
    ` | server core ${f(l.load.serverCorePct)} % | drops server/uas/peer ${[l.drops.window.server, l.drops.window.uas, l.drops.window.peer].map((v) => f(v, 0)).join('/')}`;
  return (
    `${String(l.calls).padStart(4)} calls ${l.ok ? 'ok  ' : 'FAIL'} up ${l.established} failed ${l.failed} loss ${f(l.lossPct, 3)} % (${l.packetsReceived}/${l.packetsSent}; whole calls ${f(l.callLossPct, 3)} %)${heard}` +
    ` cpu ${f(l.cpuPct)} % rss ${f(l.peakRssBytes / 2 ** 20, 0)} MiB${rtt} | ${load}${l.error ? `\n${l.error}` : ''}`
  );
}
