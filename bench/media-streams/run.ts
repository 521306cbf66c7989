/**
 * The media streams benchmark (docs/benchmarks.md "Media streams"): `callbin start` in its own
 * process (pinned to core 0 on a machine with two cores or more), the load on the other core: N sipp
 * callers whose media is callers.ts, and the bot (bot.ts). Two scenarios on the same callbin, one
 * after the other: `echo`, the baseline (a flow of `answer` + `echo`: callbin sends each caller's
 * audio straight back) and `stream` (`answer` + `external_media_start` with listen `both`, speak `in`,
 * `sync`: each call's audio goes to the bot, which sends it back to be played into the call).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/sipp.ts';
import { type CallbinServer, startCallbinServer } from '../calls/callbin-server.ts';
import { coreIdleMs } from '../calls/media/load-probe.ts';
import { cpuMsOf, ServerProbe } from '../calls/proc-stats.ts';
import { type CpuPin, runSippClient } from '../calls/sipp-run.ts';
import type { BotFigures } from './bot.ts';
import { configure, NUMBERS, sippErrors } from './callbin-setup.ts';
import type { CallerFigures } from './callers.ts';
import { LineChild } from './child.ts';
import { nowUs } from './frame-tag.ts';
import type { LatencyFigures } from './latency.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

/** After the last call is answered: time for streams to connect and buffers to settle before measuring. */
const WARMUP_MS = 1500;

/** What a run is asked to do. */
export interface StreamsBenchOptions {
  /** Concurrent calls [200]. */
  calls?: number;
  /** How long each call is held, in seconds [20]. */
  seconds?: number;
  /** Calls set up per second [50]. */
  setupRatePerSec?: number;
  /** Pin callbin to core 0 and the load to core 1 when there are two cores [true]. */
  pin?: boolean;
  /** Extra node flags for callbin (`--cpu-prof --cpu-prof-dir=<dir>` to profile it) [none]. */
  callbinNodeArgs?: readonly string[];
}

/** Figures of one scenario, taken in the window when every call is up. */
export interface ScenarioFigures {
  scenario: 'echo' | 'stream';
  calls: number;
  /** Calls whose media started (the 200 OK arrived). */
  established: number;
  failed: number;
  windowSec: number;
  /** Server CPU while every call was up, % of one core. */
  serverCpuPct: number;
  /** Server CPU ms per second of one call (of those up). */
  cpuMsPerCallSecond: number;
  /** CPU of the callers and the bot, % of one core; the load core's busy share (every process), NaN unpinned. */
  loadCpuPct: number;
  loadCoreBusyPct: number;
  /** Frames the callers sent in the window. */
  framesSent: number;
  /** Of those, how many came back to their caller (through `echo`, or the bot and playback). */
  framesBack: number;
  /** Frames sent in the window that never came back, %. */
  roundTripLossPct: number;
  /** Caller → callbin → (bot →) callbin → caller. */
  roundTrip: LatencyFigures;
  /** The latest the callers served a send slot after its time (their own lateness). */
  maxSendLagMs: number;
  /** Why sipp says calls failed, when some did. */
  error?: string;
}

/** The stream scenario's own figures. */
export interface StreamFigures extends ScenarioFigures {
  /** Streams the bot saw start, and those still open when the window closed. */
  streamsStarted: number;
  /** Caller's send → the bot's receive. */
  toBot: LatencyFigures;
  /** The bot's send → back at the caller (through the playback queue). */
  fromBot: LatencyFigures;
  /** Inbound frames sent in the window that never reached the bot. */
  inboundMissing: number;
  inboundLossPct: number;
  /** Frames the bot sent back that never reached the caller. */
  echoedMissing: number;
  echoedLossPct: number;
  /** Gaps in the chunk numbers: media messages callbin dropped under back-pressure. */
  droppedOutbound: number;
  stopReasons: Record<string, number>;
  closeCodes: Record<string, number>;
  signatures: { valid: number; invalid: number; missing: number };
  /** Messages that broke the protocol's numbering or shape, and the first of them. */
  anomalies: number;
  firstAnomaly: string;
}

/** A whole run. */
export interface StreamsBenchResult {
  bench: 'media-streams';
  cores: number;
  pinned: boolean;
  calls: number;
  seconds: number;
  echo: ScenarioFigures;
  stream: StreamFigures;
  /** Stream CPU per call over echo CPU per call. */
  cpuRatio: number;
}

interface Env {
  server: CallbinServer;
  probe: ServerProbe;
  callerPort: number;
  callers: LineChild;
  bot: LineChild;
  loadPin: CpuPin;
}

const pct = (part: number, whole: number): number => (whole > 0 ? (100 * part) / whole : Number.NaN);

async function runScenario(env: Env, scenario: 'echo' | 'stream', o: Required<StreamsBenchOptions>) {
  const { calls, seconds, setupRatePerSec } = o;
  const sendMs = seconds * 1000 - 1000;
  const rampMs = (calls / setupRatePerSec) * 1000;
  const startMs = rampMs + WARMUP_MS;
  const endMs = sendMs - 300;
  if (endMs - startMs < 1000)
    throw new Error(
      `--seconds ${seconds} leaves no measuring window for ${calls} calls set up at ${setupRatePerSec}/s`,
    );
  const dir = await mkdtemp(join(tmpdir(), 'callbin-bench-streams-'));
  try {
    const { ports } = await env.callers.request<{ ports: number[] }>({ cmd: 'open', calls, sendMs });
    const injection = join(dir, 'ports.csv');
    await writeFile(injection, `SEQUENTIAL\n${ports.map((p) => `${p};`).join('\n')}\n`);
    const logFile = join(dir, 'media.log');
    await env.callers.request({ cmd: 'follow', logFile });
    const t0 = nowUs();
    const window = { fromUs: t0 + startMs * 1000, toUs: t0 + endMs * 1000 };
    await env.callers.request({ cmd: 'window', ...window });
    if (scenario === 'stream') await env.bot.request({ cmd: 'window', ...window });
    const loadCpu = (): number => cpuMsOf(env.callers.pid) + cpuMsOf(env.bot.pid);
    const sample = () => ({
      at: performance.now(),
      server: env.probe.cpuMs(),
      load: loadCpu(),
      idle: coreIdleMs(env.loadPin),
    });
    let from: ReturnType<typeof sample> | undefined;
    let to: ReturnType<typeof sample> | undefined;
    const after = (ms: number, fn: () => void) => setTimeout(fn, Math.max(0, ms - (nowUs() - t0) / 1000));
    const timers = [after(startMs, () => (from = sample())), after(endMs, () => (to = sample()))];
    const sipp = await runSippClient({
      scenario: 'uac-media.xml',
      target: { host: '127.0.0.1', port: env.server.sipPort },
      localPort: env.callerPort,
      service: NUMBERS[scenario],
      ratePerSec: setupRatePerSec,
      calls,
      maxConcurrent: calls,
      pauseMs: seconds * 1000,
      pin: env.loadPin,
      extraArgs: ['-inf', injection, '-trace_logs', '-log_file', logFile],
      timeoutMs: rampMs + seconds * 1000 + 60_000,
    }).finally(() => timers.forEach((t) => clearTimeout(t)));
    // Echoes in flight, and the streams' stop messages after the hang-ups.
    await new Promise((r) => setTimeout(r, 500));
    const caller = await env.callers.request<CallerFigures>({ cmd: 'figures' });
    await env.callers.request({ cmd: 'close' });
    if (!from || !to)
      throw new Error(
        `the ${scenario} run ended before its measuring window closed: sipp ${JSON.stringify(sipp.stats)}\n${sipp.output.slice(-600)}`,
      );
    const wallMs = to.at - from.at;
    const failed = Math.max(sipp.stats.failed, calls - sipp.stats.successful);
    const base: ScenarioFigures = {
      scenario,
      calls,
      established: caller.started,
      failed,
      windowSec: wallMs / 1000,
      serverCpuPct: pct(to.server - from.server, wallMs),
      cpuMsPerCallSecond: (to.server - from.server) / Math.max(1, caller.started) / (wallMs / 1000),
      loadCpuPct: pct(to.load - from.load, wallMs),
      loadCoreBusyPct: pct(wallMs - (to.idle - from.idle), wallMs),
      framesSent: caller.sent,
      framesBack: caller.back,
      roundTripLossPct: Math.max(0, 100 - pct(caller.back, caller.sent)),
      roundTrip: caller.roundTrip,
      maxSendLagMs: caller.maxSendLagMs,
      ...(failed > 0 ? { error: sippErrors(sipp.output) } : {}),
    };
    return { base, caller };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function streamFigures(env: Env, base: ScenarioFigures, caller: CallerFigures): Promise<StreamFigures> {
  // The calls hung up: wait (up to 5 s) for every stream to be closed, to see why each ended.
  let bot = await env.bot.request<BotFigures>({ cmd: 'figures' });
  for (let i = 0; i < 50 && bot.running > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    bot = await env.bot.request<BotFigures>({ cmd: 'figures' });
  }
  return {
    ...base,
    streamsStarted: bot.started,
    toBot: bot.toBot,
    fromBot: caller.fromBot,
    inboundMissing: Math.max(0, base.framesSent - bot.inbound),
    inboundLossPct: Math.max(0, 100 - pct(bot.inbound, base.framesSent)),
    echoedMissing: Math.max(0, bot.inbound - caller.back),
    echoedLossPct: Math.max(0, 100 - pct(caller.back, bot.inbound)),
    droppedOutbound: bot.chunkGaps,
    stopReasons: bot.stopReasons,
    closeCodes: bot.closeCodes,
    signatures: bot.signatures,
    anomalies: bot.anomalies,
    firstAnomaly: bot.firstAnomaly,
  };
}

/** Runs the baseline and the stream scenario on one callbin and returns their figures. */
export async function runStreamsBench(options: StreamsBenchOptions = {}): Promise<StreamsBenchResult> {
  const o: Required<StreamsBenchOptions> = {
    calls: 200,
    seconds: 20,
    setupRatePerSec: 50,
    pin: true,
    callbinNodeArgs: [],
    ...options,
  };
  if (!Number.isInteger(o.calls) || o.calls < 1 || o.calls > 2000) throw new Error('calls must be 1–2000');
  if (!(o.seconds >= 3 && o.seconds <= 600)) throw new Error('seconds must be 3–600');
  if (!(o.setupRatePerSec > 0 && o.setupRatePerSec <= 500)) throw new Error('the set-up rate must be 1–500 per second');
  const cores = os.availableParallelism();
  const pinned = o.pin && cores >= 2;
  const serverPin: CpuPin = pinned ? '0' : undefined;
  const loadPin: CpuPin = pinned ? '1' : undefined;
  const stops: (() => Promise<void>)[] = [];
  try {
    const server = await startCallbinServer({ pin: serverPin, nodeArgs: o.callbinNodeArgs });
    stops.push(() => server.stop());
    const customer = await server.api('GET', '/customer');
    const bot = LineChild.start(join(here, 'bot.ts'), [String(customer?.webhook_secret ?? '')], loadPin, 'bot');
    stops.push(() => bot.stop());
    const callers = LineChild.start(join(here, 'callers.ts'), [], loadPin, 'callers');
    stops.push(() => callers.stop());
    const { port: botPort } = await bot.request<{ port: number }>({ cmd: 'listen' });
    const callerPort = await freePort('udp');
    await configure(server, callerPort, botPort, o.seconds);
    const env: Env = { server, probe: new ServerProbe([server.pid]), callerPort, callers, bot, loadPin };
    const echo = await runScenario(env, 'echo', o);
    const e = echo.base;
    console.log(`  echo done: ${e.established}/${e.calls} up, server ${e.serverCpuPct.toFixed(1)} % of a core`);
    await new Promise((r) => setTimeout(r, 2000));
    const streamRun = await runScenario(env, 'stream', o);
    const stream = await streamFigures(env, streamRun.base, streamRun.caller);
    return {
      bench: 'media-streams',
      cores,
      pinned,
      calls: o.calls,
      seconds: o.seconds,
      echo: echo.base,
      stream,
      cpuRatio: stream.cpuMsPerCallSecond / echo.base.cpuMsPerCallSecond,
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}
