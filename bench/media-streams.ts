/**
 * Media streams benchmark (docs/benchmarks.md "Media streams"): N concurrent calls whose audio goes
 * over a WebSocket to a local echo bot and back into the call (`external_media_start`, listen `both`,
 * speak `in`), beside the same N calls through the `echo` action in the same run. Prints a table,
 * then the whole result as one JSON line.
 * Run: npm run bench:streams [-- --calls 200] [-- --seconds 20] [-- --quick] [-- --rate 50] [-- --no-pin]
 *      profile callbin: npm run bench:streams -- --cpu-prof <dir>
 */
import { fileURLToPath } from 'node:url';
import { numberFlag } from './cli-args.ts';
import { formatStreamsResult } from './media-streams/report.ts';
import { runStreamsBench, type StreamsBenchOptions } from './media-streams/run.ts';

/** The options of a command line: `--quick` is 50 calls held 10 s; `--cpu-prof <dir>`: callbin writes a CPU profile there when it stops. */
export function parseStreamsArgs(argv: readonly string[]): StreamsBenchOptions {
  const quick = argv.includes('--quick');
  const at = argv.indexOf('--cpu-prof');
  const profileDir = at >= 0 ? argv[at + 1] : undefined;
  return {
    calls: Math.round(numberFlag(argv, '--calls', quick ? 50 : 200)),
    seconds: numberFlag(argv, '--seconds', quick ? 10 : 20),
    setupRatePerSec: numberFlag(argv, '--rate', 50),
    pin: !argv.includes('--no-pin'),
    ...(profileDir ? { callbinNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
  };
}

/**
 * The environment callbin starts with (it inherits this process's): admission by event-loop
 * utilisation off (docs/security.md "Overload"), so every call of the set-up ramp is taken and the
 * run measures N calls held, not how many a loaded machine admits; a value already set is kept.
 */
export function streamsBenchEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return { CALLBIN_OVERLOAD_UTILISATION: env.CALLBIN_OVERLOAD_UTILISATION ?? '0' };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  Object.assign(process.env, streamsBenchEnv(process.env));
  const result = await runStreamsBench(parseStreamsArgs(process.argv.slice(2)));
  for (const line of formatStreamsResult(result)) console.log(line);
  console.log(JSON.stringify(result));
  process.exit(0);
}
