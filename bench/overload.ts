// Overload benchmark (docs/security.md "Overload"): a burst of `[answer, hangup]` calls at about 3×
// the highest sustained rate against callbin with its default admission settings. Reports the
// accepted calls' setup p99 during the burst, the refused (503) share, the failed share, and how
// long after the burst setup latency at a light rate is back to its level before the burst.
// Run: npm run bench:overload [-- --rate 600] [-- --seconds 30] [-- --no-pin]   (on demand)
import { fileURLToPath } from 'node:url';
import { startBenchEnv } from './calls/index.ts';
import type { SipTarget } from './calls/index.ts';
import { percentile } from './calls/sipp-output.ts';
import { runSippClient } from './calls/sipp-run.ts';
import type { CpuPin } from './calls/sipp-run.ts';

/** One traced run of the overload scenario. */
interface BurstFigures {
  ratePerSec: number;
  calls: number;
  answered: number;
  refused: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
}

async function burst(target: SipTarget, pin: CpuPin, ratePerSec: number, seconds: number): Promise<BurstFigures> {
  const calls = Math.max(1, Math.round(ratePerSec * seconds));
  const r = await runSippClient({
    scenario: 'uac-overload.xml',
    target,
    localPort: target.callerPort,
    service: target.numbers.answerHangup,
    ratePerSec,
    calls,
    maxConcurrent: Math.max(200, ratePerSec * 4),
    pin,
    traceMessages: true,
    timeoutMs: seconds * 3000 + 60_000,
  });
  // Every call that was neither answered nor failed ended on the 503 branch of the scenario.
  const failed = Math.max(r.stats.failed, calls - r.stats.successful);
  const answered = r.setupMs.length;
  return {
    ratePerSec,
    calls,
    answered,
    refused: Math.max(0, calls - failed - answered),
    failed,
    p50Ms: percentile(r.setupMs, 50),
    p99Ms: percentile(r.setupMs, 99),
  };
}

const fmt = (b: BurstFigures): string =>
  `${b.ratePerSec}/s × ${b.calls}: answered ${b.answered}, refused 503 ${b.refused} (${((b.refused / b.calls) * 100).toFixed(1)} %), ` +
  `failed ${b.failed} (${((b.failed / b.calls) * 100).toFixed(2)} % of offered), setup p50/p99 ${b.p50Ms.toFixed(1)}/${b.p99Ms.toFixed(1)} ms`;

/** Runs the benchmark and prints its figures. */
export async function runOverloadBench(o: { rate: number; seconds: number; light: number; pin: boolean }) {
  const env = await startBenchEnv({ pin: o.pin, install: true });
  try {
    const { callbin, pins } = env;
    const before = await burst(callbin, pins.load, o.light, 3);
    console.log(`before  ${fmt(before)}`);
    const during = await burst(callbin, pins.load, o.rate, o.seconds);
    const endedAt = Date.now();
    console.log(`burst   ${fmt(during)}`);
    // Back to normal: a light 1 s probe whose p99 is within 2× (or 5 ms) of the level before, with no failure.
    const normalMs = Math.max(2 * before.p99Ms, before.p99Ms + 5);
    let recoveredSec = NaN;
    for (let i = 0; i < 60; i++) {
      const probe = await burst(callbin, pins.load, o.light, 1);
      const since = (Date.now() - endedAt) / 1000;
      console.log(`after   +${since.toFixed(1)} s ${fmt(probe)}`);
      if (probe.failed === 0 && probe.refused === 0 && probe.p99Ms <= normalMs) {
        recoveredSec = since;
        break;
      }
    }
    const webhooksStart = env.webhooks.received();
    await env.webhooks.quiet(1000);
    console.log(
      `summary offered ${o.rate}/s for ${o.seconds} s: accepted setup p99 ${during.p99Ms.toFixed(1)} ms, ` +
        `refused ${((during.refused / during.calls) * 100).toFixed(1)} %, ` +
        `failed among accepted ${((during.failed / Math.max(1, during.answered + during.failed)) * 100).toFixed(2)} %, ` +
        `back to normal (p99 ≤ ${normalMs.toFixed(1)} ms at ${o.light}/s) ${recoveredSec.toFixed(1)} s after the burst; ` +
        `webhooks received ${env.webhooks.received()} (${env.webhooks.received() - webhooksStart} after the probes)`,
    );
  } finally {
    await env.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const value = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    const n = i >= 0 ? Number(argv[i + 1]) : Number.NaN;
    return Number.isFinite(n) && n > 0 ? n : fallback;
  };
  await runOverloadBench({
    rate: value('--rate', 600),
    seconds: value('--seconds', 30),
    light: value('--light', 50),
    pin: !argv.includes('--no-pin'),
  });
  process.exit(0);
}
