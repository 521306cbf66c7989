// Call benchmarks: callbin driven by sipp (CPS, CPU per call, setup latency, concurrent calls with
// media, POST /calls) beside Kamailio and Kamailio+rtpengine measured in the same run.
// Run: npm run bench:calls [-- --quick] [-- --scenario cps,latency] [-- --hold 10]
//      one scenario: npm run bench:calls -- --scenario media
//      the decoded bridge instead of the relay: npm run bench:calls -- --scenario media --decoded
//      on PostgreSQL (a fresh database on that server, dropped after):
//        npm run bench:calls -- --scenario cost --postgres postgres://postgres@127.0.0.1:5432/postgres
//      profile callbin: npm run bench:calls -- --scenario cost --cpu-prof <dir>
//      the timeline's cost (CPU per call on vs off, same run; not in the default scenarios):
//        npm run bench:calls -- --scenario timeline [--timeline-rate 50] [--timeline-seconds 10] [--timeline-rounds 2]
import { fileURLToPath } from 'node:url';
import { AppError, ValidationError } from '../src/shared/index.ts';
import { createBenchDatabase, formatPgActivity } from './calls/bench-postgres.ts';
import { FULL_OPTIONS, runCallsBench } from './calls/index.ts';
import type { CallsBenchOptions, CallsScenario } from './calls/index.ts';

/** A short run of every scenario (about 3 minutes): the same code paths with small figures. */
export const QUICK_OPTIONS: CallsBenchOptions = {
  ...FULL_OPTIONS,
  cpsRates: [50, 100, 200, 400, 800],
  cpsStepSeconds: 3,
  costRatePerSec: 50,
  costSeconds: 3,
  latencyRatePerSec: 100,
  latencySeconds: 3,
  mediaLevels: [20, 50],
  talkLevels: [20, 50],
  holdMs: 5000,
  apiDurationMs: 2000,
  timelineSeconds: 3,
};

/**
 * Reads `--quick`, `--scenario a,b`, `--hold <s>`, `--levels a,b`, `--rates a,b`, `--no-pin`,
 * `--cpu-prof <dir>` (callbin writes a CPU profile there when it stops), `--timeline-rate <n>`,
 * `--timeline-seconds <n>`, `--timeline-rounds <n>` (the timeline scenario).
 */
export function parseCallsArgs(argv: readonly string[]): CallsBenchOptions {
  const o: CallsBenchOptions = { ...(argv.includes('--quick') ? QUICK_OPTIONS : FULL_OPTIONS) };
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (text: string): number[] =>
    text
      .split(',')
      .map(Number)
      .filter((n) => Number.isFinite(n) && n > 0);
  const scenarios = value('--scenario');
  if (scenarios) o.scenarios = scenarios.split(',') as CallsScenario[];
  const hold = value('--hold');
  if (hold) o.holdMs = Math.min(600, Math.max(2, Number(hold))) * 1000;
  const levels = value('--levels');
  if (levels) o.mediaLevels = o.talkLevels = list(levels);
  const rates = value('--rates');
  if (rates) o.cpsRates = list(rates);
  if (argv.includes('--no-pin')) o.pin = false;
  for (const [flag, key] of [
    ['--timeline-rate', 'timelineRatePerSec'],
    ['--timeline-seconds', 'timelineSeconds'],
    ['--timeline-rounds', 'timelineRounds'],
  ] as const) {
    const n = list(value(flag) ?? '')[0];
    if (n !== undefined) o[key] = n;
  }
  const profileDir = value('--cpu-prof');
  if (profileDir) o.callbinNodeArgs = ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  return o;
}

/**
 * The environment `--decoded` gives callbin: `CALLBIN_MEDIA_RELAY=0`, so the `connect` bridge of the
 * media scenario takes the decoded path (docs/media.md "Bridging") instead of the relay.
 */
export function callbinEnvOf(argv: readonly string[]): Record<string, string> {
  return argv.includes('--decoded') ? { CALLBIN_MEDIA_RELAY: '0' } : {};
}

/** `--postgres <url>`: the server (any database on it) the run creates its database on. */
export function postgresUrlOf(argv: readonly string[]): string | undefined {
  const i = argv.indexOf('--postgres');
  if (i < 0) return undefined;
  const url = argv[i + 1] ?? '';
  if (!/^postgres(ql)?:\/\//.test(url))
    throw ValidationError.field(
      'postgres',
      'INVALID_DATABASE_URL',
      '--postgres needs a postgres:// or postgresql:// URL',
    );
  return url;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    // callbin's process inherits this environment (calls/callbin-server.ts).
    const argv = process.argv.slice(2);
    Object.assign(process.env, callbinEnvOf(argv));
    const options = parseCallsArgs(argv);
    const adminUrl = postgresUrlOf(argv);
    if (adminUrl === undefined) await runCallsBench(options);
    else {
      // callbin runs on a database of its own, created for this run and dropped after it.
      const database = await createBenchDatabase(adminUrl);
      try {
        process.env.CALLBIN_DATABASE_URL = database.url;
        const r = await runCallsBench(options);
        const calls = r.cost?.callbin.successful ?? 0;
        console.log(formatPgActivity(await database.activity(), calls));
      } finally {
        await database.drop();
      }
    }
    process.exit(0);
  } catch (err) {
    if (err instanceof AppError) {
      console.error(`bench:calls: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}
