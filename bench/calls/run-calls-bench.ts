import { fileURLToPath } from 'node:url';
import { runApiCalls } from './api-scenario.ts';
import type { ApiCallsResult } from './api-scenario.ts';
import { startBenchEnv } from './bench-env.ts';
import type { BenchEnv } from './bench-env.ts';
import { startMediaEnv } from './media/media-env.ts';
import { runMediaLadder } from './media-scenarios.ts';
import type { MediaLadder } from './media-scenarios.ts';
import { formatLine, line, machineInfo, writeResultFile } from './report.ts';
import type { ScenarioLine } from './report.ts';
import { runCpsRamp, runRateStep, runSetupLatency } from './sip-scenarios.ts';
import type { CpsRamp, RateStep, SetupLatency } from './sip-scenarios.ts';
import { requireBinaries } from './system-tools.ts';
import { runTimelineCost, timelineCostLine } from './timeline-cost.ts';
import type { TimelineCost } from './timeline-cost.ts';

/** The scenarios of the call benchmarks; `timeline` runs only when asked for (`--scenario timeline`). */
export type CallsScenario = 'cps' | 'cost' | 'latency' | 'media' | 'api' | 'timeline';

/** Every knob of a run; {@link FULL_OPTIONS} are the documented defaults. */
export interface CallsBenchOptions {
  scenarios: readonly CallsScenario[];
  cpsRates: readonly number[];
  cpsStepSeconds: number;
  costRatePerSec: number;
  costSeconds: number;
  latencyRatePerSec: number;
  latencySeconds: number;
  mediaLevels: readonly number[];
  talkLevels: readonly number[];
  holdMs: number;
  mediaSetupRatePerSec: number;
  apiDurationMs: number;
  apiConcurrency: number;
  /** The timeline scenario: calls/s, seconds per round and side, rounds. */
  timelineRatePerSec: number;
  timelineSeconds: number;
  timelineRounds: number;
  resultsDir: string;
  install: boolean;
  pin: boolean;
  /** Extra node flags for callbin (`--cpu-prof --cpu-prof-dir=<dir>`). */
  callbinNodeArgs?: readonly string[];
}

/** The documented run (about 20 minutes on 2 cores). */
export const FULL_OPTIONS: CallsBenchOptions = {
  scenarios: ['cps', 'cost', 'latency', 'media', 'api'],
  cpsRates: [50, 100, 200, 300, 400, 500, 600, 800, 1000, 1250, 1500, 2000, 2500, 3000],
  cpsStepSeconds: 10,
  costRatePerSec: 100,
  costSeconds: 10,
  latencyRatePerSec: 200,
  latencySeconds: 10,
  mediaLevels: [50, 100, 200, 300, 400, 600, 800],
  talkLevels: [50, 100, 200, 300, 400, 600],
  holdMs: 30_000,
  mediaSetupRatePerSec: 50,
  apiDurationMs: 5000,
  apiConcurrency: 8,
  timelineRatePerSec: 50,
  timelineSeconds: 10,
  timelineRounds: 2,
  resultsDir: fileURLToPath(new URL('../results/', import.meta.url)),
  install: true,
  pin: true,
};

/** Everything a run measured; written as the JSON result file. */
export interface CallsBenchResult {
  startedAt: string;
  machine: Record<string, unknown>;
  options: CallsBenchOptions;
  lines: ScenarioLine[];
  cps?: { callbin: CpsRamp; kamailio: CpsRamp };
  cost?: { callbin: RateStep; kamailio: RateStep };
  latency?: { callbin: SetupLatency; kamailio: SetupLatency };
  media?: { callbinRelay: MediaLadder; kamailioRtpengine: MediaLadder; callbinTalk: MediaLadder };
  api?: ApiCallsResult;
  timeline?: TimelineCost;
  memory: { callbinIdleRssBytes: number; callbinPeakRssBytes: number };
  webhooksReceived: number;
  resultFile?: string;
}

const needs = (o: CallsBenchOptions, s: CallsScenario): boolean => o.scenarios.includes(s);

async function sipScenarios(env: BenchEnv, o: CallsBenchOptions, r: CallsBenchResult): Promise<void> {
  const pin = env.pins.load;
  const k = env.kamailio!;
  if (needs(o, 'cps')) {
    console.log('CPS ramp ([answer, hangup] flow vs Kamailio answering itself)');
    const callbin = await runCpsRamp(env.callbin, { rates: o.cpsRates, stepSeconds: o.cpsStepSeconds, pin });
    const kamailio = await runCpsRamp(k, { rates: o.cpsRates, stepSeconds: o.cpsStepSeconds, pin });
    r.cps = { callbin, kamailio };
    const capped =
      kamailio.maxSustainedPerSec === o.cpsRates[o.cpsRates.length - 1]
        ? 'baseline reached the highest rate tried'
        : undefined;
    r.lines.push(
      line(
        'CPS, highest sustained',
        'calls/s',
        callbin.maxSustainedPerSec,
        'kamailio',
        kamailio.maxSustainedPerSec,
        true,
        capped,
      ),
    );
  }
  if (needs(o, 'cost')) {
    const step = { ratePerSec: o.costRatePerSec, seconds: o.costSeconds, pin };
    // callbin's webhooks of these calls may still be queued when the calls end: their CPU counts too.
    const callbin = await runRateStep(env.callbin, { ...step, settle: () => env.webhooks.quiet() });
    const kamailio = await runRateStep(k, step);
    r.cost = { callbin, kamailio };
    r.lines.push(
      line(
        `CPU per call at ${o.costRatePerSec} calls/s`,
        'CPU-ms',
        callbin.cpuMsPerCall,
        'kamailio',
        kamailio.cpuMsPerCall,
        false,
      ),
    );
  }
  if (needs(o, 'latency')) {
    const step = { ratePerSec: o.latencyRatePerSec, seconds: o.latencySeconds, pin };
    const callbin = await runSetupLatency(env.callbin, step);
    const kamailio = await runSetupLatency(k, step);
    r.latency = { callbin, kamailio };
    for (const p of ['p50Ms', 'p95Ms', 'p99Ms'] as const) {
      r.lines.push(
        line(
          `setup INVITE→200 ${p.slice(0, 3)} at ${o.latencyRatePerSec}/s`,
          'ms',
          callbin[p],
          'kamailio',
          kamailio[p],
          false,
        ),
      );
    }
  }
}

async function mediaScenarios(env: BenchEnv, o: CallsBenchOptions, r: CallsBenchResult): Promise<void> {
  // The media scenarios' own callee (RTP echoed by rtp-echo.c) and Kamailio + rtpengine in front of it.
  const media = await startMediaEnv(env);
  let callbinRelay: MediaLadder, kamailioRtpengine: MediaLadder, callbinTalk: MediaLadder;
  try {
    const common = {
      holdMs: o.holdMs,
      setupRatePerSec: o.mediaSetupRatePerSec,
      pin: env.pins.load,
      serverPin: env.pins.server,
      uasPids: media.callee.pids,
    };
    console.log(
      `Concurrent calls with media (hold ${o.holdMs / 1000} s, callers send 50 packets/s; callee RTP echo: ${media.callee.media})`,
    );
    callbinRelay = await runMediaLadder(media.callbin, {
      ...common,
      levels: o.mediaLevels,
      mode: 'echo',
      service: env.callbin.numbers.connect,
    });
    kamailioRtpengine = await runMediaLadder(media.kamailioMedia, {
      ...common,
      levels: o.mediaLevels,
      mode: 'echo',
      service: 'bench',
    });
    callbinTalk = await runMediaLadder(media.callbin, {
      ...common,
      levels: o.talkLevels,
      mode: 'listen',
      service: env.callbin.numbers.talk,
    });
  } finally {
    await media.close();
  }
  r.media = { callbinRelay, kamailioRtpengine, callbinTalk };
  r.memory.callbinPeakRssBytes = Math.max(
    r.memory.callbinPeakRssBytes,
    ...[...callbinRelay.levels, ...callbinTalk.levels].map((l) => l.peakRssBytes).filter(Number.isFinite),
  );
  const top = o.mediaLevels[o.mediaLevels.length - 1];
  const atMax = (l: MediaLadder): string => {
    const level = l.levels.find((x) => x.ok && x.calls === l.maxCalls);
    return level
      ? `loss ${level.lossPct.toFixed(3)} %, rtt p99 ${level.rttMs?.[1]?.toFixed(1) ?? '—'} ms, load core ${level.load.corePct.toFixed(0)} %`
      : 'none passed';
  };
  const cappedNote = kamailioRtpengine.maxCalls === top ? '; baseline passed the highest level tried' : '';
  r.lines.push(
    line(
      'relayed calls (connect), < 0.1 % loss',
      'calls',
      callbinRelay.maxCalls,
      'kamailio+rtpengine',
      kamailioRtpengine.maxCalls,
      true,
      `callbin at max: ${atMax(callbinRelay)}; baseline: ${atMax(kamailioRtpengine)}${cappedNote}`,
    ),
  );
  const common100 = (l: MediaLadder): number => {
    const level = l.levels.find((x) => x.ok && x.calls === Math.min(callbinRelay.maxCalls, kamailioRtpengine.maxCalls));
    return level ? level.cpuPct : NaN;
  };
  r.lines.push(
    line(
      `CPU at ${Math.min(callbinRelay.maxCalls, kamailioRtpengine.maxCalls)} relayed calls`,
      '% core',
      common100(callbinRelay),
      'kamailio+rtpengine',
      common100(kamailioRtpengine),
      false,
    ),
  );
  r.lines.push(
    line(
      'talk calls (TTS loop), < 0.1 % loss',
      'calls',
      callbinTalk.maxCalls,
      'none',
      NaN,
      true,
      `CPU ${callbinTalk.cpuPctAtMax.toFixed(0)} % at that level`,
    ),
  );
}

/** Runs the call benchmarks: starts everything, runs the chosen scenarios, prints and writes the result. */
export async function runCallsBench(o: CallsBenchOptions): Promise<CallsBenchResult> {
  const wantsSip = needs(o, 'cps') || needs(o, 'cost') || needs(o, 'latency');
  // The media scenarios start their own Kamailio + rtpengine (media/media-env.ts).
  if (needs(o, 'media')) requireBinaries(['kamailio', 'rtpengine'], { install: o.install });
  const env = await startBenchEnv({
    kamailio: wantsSip,
    install: o.install,
    pin: o.pin,
    ...(o.callbinNodeArgs ? { callbinNodeArgs: o.callbinNodeArgs } : {}),
  });
  const r: CallsBenchResult = {
    startedAt: new Date().toISOString(),
    machine: machineInfo(),
    options: o,
    lines: [],
    memory: { callbinIdleRssBytes: env.callbin.probe.rssBytes(), callbinPeakRssBytes: env.callbin.probe.rssBytes() },
    webhooksReceived: 0,
  };
  try {
    if (wantsSip) await sipScenarios(env, o, r);
    if (needs(o, 'media')) await mediaScenarios(env, o, r);
    if (needs(o, 'timeline')) {
      const { timelineRatePerSec: ratePerSec, timelineSeconds: seconds, timelineRounds: rounds } = o;
      const nodeArgs = o.callbinNodeArgs ? { nodeArgs: o.callbinNodeArgs } : {};
      r.timeline = await runTimelineCost({ ratePerSec, seconds, rounds, env, ...nodeArgs });
      r.lines.push(timelineCostLine(r.timeline));
    }
    if (needs(o, 'api')) {
      r.api = await runApiCalls(env, { durationMs: o.apiDurationMs, concurrency: o.apiConcurrency });
      r.lines.push(
        line(
          'POST /v1.0/calls (dials the UAS)',
          'req/s',
          r.api.callbin.perSec,
          'bare fastify POST',
          r.api.baseline.perSec,
          true,
          `${r.api.callbin.failed} failed`,
        ),
      );
    }
    r.webhooksReceived = env.webhooks.received();
  } finally {
    await env.close();
  }
  const mb = (b: number): number => b / 2 ** 20;
  r.lines.push(
    line(
      'callbin RSS idle → peak',
      'MiB',
      mb(r.memory.callbinPeakRssBytes),
      'idle',
      mb(r.memory.callbinIdleRssBytes),
      false,
    ),
  );
  console.log('\nResults (callbin | baseline in the same run | ratio callbin/baseline)');
  for (const l of r.lines) console.log(formatLine(l));
  r.resultFile = await writeResultFile(o.resultsDir, r);
  console.log(`result file: ${r.resultFile}`);
  return r;
}
