// Soak: [answer, hangup] calls into callbin at half its highest sustained rate for 10 minutes,
// sampling callbin's RSS; reports RSS growth (target < 5 %). On demand only, never in CI.
// Run: npm run bench:soak [-- --rate <calls/s>] [-- --minutes <m>]
import { fileURLToPath } from 'node:url';
import { AppError } from '../src/shared/index.ts';
import { runCpsRamp, runRateStep, startBenchEnv, writeResultFile } from './calls/index.ts';

/** What a soak measured. */
export interface SoakResult {
  ratePerSec: number;
  durationMs: number;
  calls: number;
  failed: number;
  /** RSS after the first minute (warm) and at the end, and the growth between them. */
  warmRssBytes: number;
  finalRssBytes: number;
  rssGrowthPct: number;
  samples: { atMs: number; rssBytes: number }[];
  resultFile: string;
}

/** Runs the soak; without `ratePerSec` a short CPS ramp finds the highest sustained rate first. */
export async function runSoak(o: {
  durationMs: number;
  ratePerSec?: number;
  resultsDir?: string;
  install?: boolean;
}): Promise<SoakResult> {
  const env = await startBenchEnv({ install: o.install ?? true });
  try {
    let ratePerSec = o.ratePerSec;
    if (ratePerSec === undefined) {
      const ramp = await runCpsRamp(env.callbin, {
        rates: [50, 100, 200, 300, 400, 500, 600, 800, 1000],
        stepSeconds: 5,
        pin: env.pins.load,
      });
      ratePerSec = Math.max(1, Math.floor(ramp.maxSustainedPerSec / 2));
    }
    const samples: { atMs: number; rssBytes: number }[] = [];
    const t0 = performance.now();
    const sampler = setInterval(
      () => samples.push({ atMs: performance.now() - t0, rssBytes: env.callbin.probe.rssBytes() }),
      Math.min(10_000, o.durationMs / 10),
    );
    const step = await runRateStep(env.callbin, {
      ratePerSec,
      seconds: o.durationMs / 1000,
      pin: env.pins.load,
    }).finally(() => clearInterval(sampler));
    samples.push({ atMs: performance.now() - t0, rssBytes: env.callbin.probe.rssBytes() });
    const warmAt = Math.min(60_000, o.durationMs / 5);
    const warm = samples.find((s) => s.atMs >= warmAt) ?? samples[0]!;
    const final = samples[samples.length - 1]!;
    const result = {
      ratePerSec,
      durationMs: o.durationMs,
      calls: step.calls,
      failed: step.failed,
      warmRssBytes: warm.rssBytes,
      finalRssBytes: final.rssBytes,
      rssGrowthPct: ((final.rssBytes - warm.rssBytes) / warm.rssBytes) * 100,
      samples,
    };
    const resultFile = await writeResultFile(
      o.resultsDir ?? fileURLToPath(new URL('./results/', import.meta.url)),
      result,
      'soak',
    );
    return { ...result, resultFile };
  } finally {
    await env.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (flag: string): number | undefined => {
    const i = process.argv.indexOf(flag);
    return i >= 0 ? Number(process.argv[i + 1]) : undefined;
  };
  try {
    const rate = arg('--rate');
    const r = await runSoak({
      durationMs: (arg('--minutes') ?? 10) * 60_000,
      ...(rate !== undefined ? { ratePerSec: rate } : {}),
    });
    const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
    console.log(
      `soak: ${r.calls} calls at ${r.ratePerSec}/s, ${r.failed} failed; RSS ${mib(r.warmRssBytes)} → ${mib(r.finalRssBytes)} MiB (${r.rssGrowthPct.toFixed(2)} %, target < 5 %)`,
    );
    console.log(`result file: ${r.resultFile}`);
    process.exit(0);
  } catch (err) {
    if (err instanceof AppError) {
      console.error(`bench:soak: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}
