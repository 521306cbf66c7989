// Cluster benchmark: the `[answer, hangup]` call (webhooks on) against (a) one node on SQLite,
// (b) one node on PostgreSQL and (c) two nodes on PostgreSQL + NATS behind Kamailio, in one run:
// highest sustained CPS, CPU per call (each server part named), store writes and bus messages per
// call (docs/benchmarks.md "Cluster").
// Run: npm run bench:cluster [-- --quick] [-- --rates 10,25,50] [-- --cost-rate 20] [-- --cost-seconds 10]
//      [-- --setups sqlite,postgres,cluster] [-- --postgres <url of any database on the server>] [-- --no-pin]
import { fileURLToPath } from 'node:url';
import { CLUSTER_FULL_OPTIONS, runClusterBench } from './cluster/run-cluster-bench.ts';
import type { ClusterBenchOptions } from './cluster/run-cluster-bench.ts';
import type { SetupKey } from './cluster/setups.ts';

const SETUP_KEYS: readonly SetupKey[] = ['sqlite', 'postgres', 'cluster'];

/** Reads the flags above; throws an Error naming a bad one. */
export function parseClusterArgs(argv: readonly string[]): ClusterBenchOptions {
  const o: ClusterBenchOptions = { ...CLUSTER_FULL_OPTIONS };
  if (argv.includes('--quick'))
    Object.assign(o, { rates: [5, 10, 20, 50, 100, 200], stepSeconds: 3, costSeconds: 10, idleSeconds: 3 });
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const positive = (flag: string, text: string): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got "${text}"`);
    return n;
  };
  const rates = value('--rates');
  if (rates !== undefined) o.rates = rates.split(',').map((t) => positive('--rates', t));
  const costRate = value('--cost-rate');
  if (costRate !== undefined) o.costRatePerSec = positive('--cost-rate', costRate);
  const costSeconds = value('--cost-seconds');
  if (costSeconds !== undefined) o.costSeconds = positive('--cost-seconds', costSeconds);
  const setups = value('--setups');
  if (setups !== undefined) {
    const keys = setups.split(',');
    const bad = keys.filter((k) => !SETUP_KEYS.includes(k as SetupKey));
    if (bad.length > 0) throw new Error(`--setups takes ${SETUP_KEYS.join(', ')}; got ${bad.join(', ')}`);
    o.setups = keys as SetupKey[];
  }
  const postgres = value('--postgres');
  if (postgres !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(postgres)) throw new Error('--postgres needs a postgres:// or postgresql:// URL');
    o.postgresAdminUrl = postgres;
  }
  if (argv.includes('--no-pin')) o.pin = false;
  return o;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let options: ClusterBenchOptions;
  try {
    options = parseClusterArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`bench:cluster: ${(err as Error).message}`);
    process.exit(2);
  }
  await runClusterBench(options);
  process.exit(0);
}
