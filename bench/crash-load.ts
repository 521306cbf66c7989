// Crash under load (docs/benchmarks.md "Crash under load"; docs/events.md "Webhook delivery"):
// `[answer, hangup]` calls from sipp at `--rate` calls/s and `POST /v1.0/calls` to a sipp UAS for
// `--seconds`, then SIGKILL of callbin the moment a caller gets a 200 OK, a restart on the same data
// folder and SIP port, and once the webhooks went quiet every stored event is checked against what
// the receiver got (test/support/crash-load.ts). Exits 1 on any loss, disorder or call told before
// it was durable. The short form runs in `npm test` (test/e2e/crash-load.test.ts).
// Run: npm run bench:crash [-- --rate 300] [-- --seconds 10] [-- --no-pin]   (on demand)
import { fileURLToPath } from 'node:url';
import { requireBinaries } from './calls/system-tools.ts';
import { runCrashLoad } from '../test/support/crash-load.ts';
import type { CrashLoadResult } from '../test/support/crash-load.ts';
import { numberFlag } from './cli-args.ts';

/** Runs the full form once and prints its figures; resolves with the result. */
export async function runCrashBench(o: { rate: number; seconds: number; pin: boolean }): Promise<CrashLoadResult> {
  requireBinaries(['sipp', 'taskset'], { install: true });
  const r = await runCrashLoad({
    ratePerSec: o.rate,
    beforeKillMs: o.seconds * 1000,
    afterKillMs: 3_000,
    apiPerSec: 20,
    tripwirePerSec: 20,
    sippRecvTimeoutMs: 20_000,
    ...(o.pin ? { pin: { load: '0', server: '1' } } : {}),
    log: (line) => console.log(`  ${line}`),
  });
  const api = Object.entries(r.apiStatuses)
    .map(([status, n]) => `${n}× ${status}`)
    .join(', ');
  console.log(`summary ${o.rate} calls/s offered for ${o.seconds} s, then kill -9 the moment a caller is answered:`);
  console.log(
    `  calls offered by sipp ${r.offered}; answered before the kill ${r.answeredBeforeKill} (caller), ` +
      `${r.apiCallsBeforeKill} (POST /calls: ${api}); answered in all ${r.answered}`,
  );
  console.log(
    `  calls ${r.calls}, activeflows ${r.activeflows}, ended by the restart ${r.endedByRestart}; ` +
      `events expected (stored) ${r.eventsStored}, webhooks received ${r.webhooksReceived}, duplicates ${r.duplicates}`,
  );
  console.log(
    `  lost ${r.lost}, order violations ${r.disorder}, told but not stored ${r.toldNotStored}; ` +
      `restart ${(r.restartMs / 1000).toFixed(1)} s, drained ${(r.drainMs / 1000).toFixed(1)} s after the kill`,
  );
  for (const p of r.problems) console.log(`problem ${p}`);
  for (const n of r.notes) console.log(`note ${n}`);
  return r;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const value = (flag: string, fallback: number): number => numberFlag(argv, flag, fallback);
  const r = await runCrashBench({
    rate: value('--rate', 300),
    seconds: value('--seconds', 10),
    pin: !argv.includes('--no-pin'),
  });
  process.exit(r.problems.length === 0 ? 0 : 1);
}
