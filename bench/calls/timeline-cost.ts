import { freePort } from '../../test/support/sipp.ts';
import type { SipTarget } from './bench-env.ts';
import { BENCH_NUMBERS, configureCallbin, startCallbinServer } from './callbin-server.ts';
import type { CallbinServer, WebhookSink } from './callbin-server.ts';
import { ServerProbe } from './proc-stats.ts';
import { line } from './report.ts';
import type { ScenarioLine } from './report.ts';
import { runRateStep } from './sip-scenarios.ts';
import type { RateStep } from './sip-scenarios.ts';
import type { CpuPin } from './sipp-run.ts';

/** The number of the timeline scenario's flow. */
export const TALK_SHORT_NUMBER = '+15550000004';

/** `[answer, talk short, hangup]`: a call that makes status, flow, media and webhook timeline entries. */
export const TALK_SHORT_FLOW = [
  { type: 'answer' },
  { type: 'talk', option: { text: 'Hello.', language: 'en-US' } },
  { type: 'hangup' },
] as const;

/** The limit: CPU per call with the timeline on is at most 10 % above it with the timeline off. */
export const TIMELINE_MAX_OVERHEAD_PCT = 10;

/** Knobs of the timeline cost scenario. */
export interface TimelineCostOptions {
  ratePerSec: number;
  /** Seconds of calls per round and side. */
  seconds: number;
  /** Rounds; each runs both sides, in alternating order (on, off / off, on) so drift hits both alike. */
  rounds: number;
  /** The run's cores (sipp on `load`, both servers on `server`), its sipp UAS (the route's provider) and webhook receiver. */
  env: { pins: { load: CpuPin; server: CpuPin }; uas: { port: number }; webhooks: WebhookSink };
  /** Extra node flags for both servers (`--cpu-prof --cpu-prof-dir=<dir>`; each profile is named by pid). */
  nodeArgs?: readonly string[];
}

/** One side's totals over its rounds. */
export interface TimelineCostSide {
  timeline: boolean;
  pid: number;
  calls: number;
  successful: number;
  failed: number;
  /** Server CPU ms over the rounds, queued webhooks included. */
  cpuMs: number;
  cpuMsPerCall: number;
  /** Timeline entries of one of the side's calls (`GET /calls/{id}/timeline`): > 0 on, 0 off. */
  entriesOfACall: number;
  steps: RateStep[];
}

/** What the scenario measured. */
export interface TimelineCost {
  ratePerSec: number;
  secondsPerRound: number;
  rounds: number;
  on: TimelineCostSide;
  off: TimelineCostSide;
  /** CPU per call on / off. */
  ratio: number;
  /** (ratio − 1) × 100. */
  overheadPct: number;
}

interface Side {
  timeline: boolean;
  server: CallbinServer;
  target: SipTarget;
  steps: RateStep[];
}

async function startSide(timeline: boolean, o: TimelineCostOptions, rtpPortMin: number): Promise<Side> {
  const server = await startCallbinServer({
    pin: o.env.pins.server,
    rtpPortMin,
    rtpPortMax: rtpPortMin + 1999,
    env: { CALLBIN_TIMELINE: timeline ? '1' : '0' },
    ...(o.nodeArgs ? { nodeArgs: o.nodeArgs } : {}),
  });
  try {
    const callerPort = await freePort('udp');
    await configureCallbin(server, { webhookUrl: o.env.webhooks.url, callerPort, uasPort: o.env.uas.port });
    const flow = await server.api('POST', '/flows', { name: 'bench talk short', actions: TALK_SHORT_FLOW });
    await server.api('POST', '/numbers', { number: TALK_SHORT_NUMBER, call_flow_id: flow.id });
    const target: SipTarget = {
      name: `callbin timeline ${timeline ? 'on' : 'off'}`,
      host: '127.0.0.1',
      port: server.sipPort,
      callerPort,
      // runRateStep dials `answerHangup`: here the [answer, talk short, hangup] flow.
      numbers: { ...BENCH_NUMBERS, answerHangup: TALK_SHORT_NUMBER },
      probe: new ServerProbe([server.pid]),
    };
    return { timeline, server, target, steps: [] };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** Timeline entries of one of the side's calls; NaN when they cannot be read. */
async function entriesOfACall(server: CallbinServer): Promise<number> {
  const list = await server.api('GET', '/calls?page_size=1');
  const id = list?.result?.[0]?.id as string | undefined;
  if (id === undefined) return Number.NaN;
  const body = await server.api('GET', `/calls/${id}/timeline`).catch((err: unknown) => {
    console.log(`  timeline of a call not read: ${String(err)}`);
    return undefined;
  });
  const entries = Array.isArray(body?.result) ? body.result : Array.isArray(body?.entries) ? body.entries : undefined;
  return entries ? entries.length : Number.NaN;
}

function totals(side: Side, entries: number): TimelineCostSide {
  const sum = (f: (s: RateStep) => number): number => side.steps.reduce((a, s) => a + f(s), 0);
  const successful = sum((s) => s.successful);
  const cpuMs = sum((s) => (s.successful > 0 ? s.cpuMsPerCall * s.successful : 0));
  return {
    timeline: side.timeline,
    pid: side.server.pid,
    calls: sum((s) => s.calls),
    successful,
    failed: sum((s) => s.failed),
    cpuMs,
    cpuMsPerCall: successful > 0 ? cpuMs / successful : Number.NaN,
    entriesOfACall: entries,
    steps: side.steps,
  };
}

/**
 * CPU per call with the timeline on and off in the same run: two callbin servers alike but for
 * `CALLBIN_TIMELINE`, the same `[answer, talk short, hangup]` calls with webhooks at the same rate,
 * one server at a time (docs/benchmarks.md "Timeline cost"). The rounds run in two halves with
 * fresh servers, started on-then-off for the first and off-then-on for the second, each after an
 * uncounted warm-up round per server: a server started first measured a few per cent dearer than its
 * twin with the timeline off on both, and the two orders cancel that out.
 */
export async function runTimelineCost(o: TimelineCostOptions): Promise<TimelineCost> {
  console.log(`Timeline cost ([answer, talk short, hangup] with webhooks at ${o.ratePerSec} calls/s, on vs off)`);
  const steps = { on: [] as RateStep[], off: [] as RateStep[] };
  const firstHalf = Math.ceil(o.rounds / 2);
  let last: { on: TimelineCostSide; off: TimelineCostSide } | undefined;
  for (const [half, rounds] of [
    [0, firstHalf],
    [1, o.rounds - firstHalf],
  ] as const) {
    if (rounds === 0) continue;
    last = await runHalf(o, half === 0 ? 'on first' : 'off first', rounds, steps);
  }
  const on = { ...last!.on, ...sums(steps.on), steps: steps.on };
  const off = { ...last!.off, ...sums(steps.off), steps: steps.off };
  const ratio = on.cpuMsPerCall / off.cpuMsPerCall;
  return {
    ratePerSec: o.ratePerSec,
    secondsPerRound: o.seconds,
    rounds: o.rounds,
    on,
    off,
    ratio,
    overheadPct: (ratio - 1) * 100,
  };
}

/** One half: both servers started in `order`, warmed up, then `rounds` rounds alternating which goes first. */
async function runHalf(
  o: TimelineCostOptions,
  order: 'on first' | 'off first',
  rounds: number,
  steps: { on: RateStep[]; off: RateStep[] },
): Promise<{ on: TimelineCostSide; off: TimelineCostSide }> {
  const pin = o.env.pins.load;
  const first = await startSide(order === 'on first', o, 30_000);
  let second: Side | undefined;
  try {
    second = await startSide(order !== 'on first', o, 32_000);
    const settle = (): Promise<void> => o.env.webhooks.quiet();
    // An uncounted round each first: JIT-compiling the call path (more of it with the timeline on)
    // would otherwise land in the first counted round of each side.
    const warm = { ratePerSec: o.ratePerSec, seconds: o.seconds, pin, settle };
    for (const side of [first, second]) await runRateStep(side.target, warm);
    for (let round = 0; round < rounds; round++) {
      for (const side of round % 2 === 0 ? [first, second] : [second, first]) {
        const step = await runRateStep(side.target, { ratePerSec: o.ratePerSec, seconds: o.seconds, pin, settle });
        side.steps.push(step);
        (side.timeline ? steps.on : steps.off).push(step);
        console.log(
          `  ${side.target.name.padEnd(20)} ${order}, round ${round + 1}: ${step.successful}/${step.calls} calls, ${step.cpuMsPerCall.toFixed(3)} CPU-ms/call`,
        );
      }
    }
    const [on, off] = first.timeline ? [first, second] : [second, first];
    return { on: totals(on, await entriesOfACall(on.server)), off: totals(off, await entriesOfACall(off.server)) };
  } finally {
    await second?.server.stop();
    await first.server.stop();
  }
}

/** Calls and CPU summed over `steps` (both halves of a side). */
function sums(
  steps: readonly RateStep[],
): Pick<TimelineCostSide, 'calls' | 'successful' | 'failed' | 'cpuMs' | 'cpuMsPerCall'> {
  const sum = (f: (s: RateStep) => number): number => steps.reduce((a, s) => a + f(s), 0);
  const successful = sum((s) => s.successful);
  const cpuMs = sum((s) => (s.successful > 0 ? s.cpuMsPerCall * s.successful : 0));
  return {
    calls: sum((s) => s.calls),
    successful,
    failed: sum((s) => s.failed),
    cpuMs,
    cpuMsPerCall: successful > 0 ? cpuMs / successful : Number.NaN,
  };
}

/** The printed line: CPU per call on against off, the overhead and the limit. */
export function timelineCostLine(t: TimelineCost): ScenarioLine {
  const verdict = t.overheadPct <= TIMELINE_MAX_OVERHEAD_PCT ? 'within' : 'ABOVE';
  return line(
    `CPU per call, timeline on, at ${t.ratePerSec} calls/s`,
    'CPU-ms',
    t.on.cpuMsPerCall,
    'timeline off',
    t.off.cpuMsPerCall,
    false,
    `${t.overheadPct >= 0 ? '+' : ''}${t.overheadPct.toFixed(1)} %, ${verdict} the ${TIMELINE_MAX_OVERHEAD_PCT} % limit; ` +
      `${t.on.successful} + ${t.off.successful} calls; entries of a call: on ${t.on.entriesOfACall}, off ${t.off.entriesOfACall}; ` +
      `pids: on ${t.on.pid}, off ${t.off.pid}`,
  );
}
