import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { processTree } from './calls/index.ts';
import { CLUSTER_FULL_OPTIONS, runClusterBench } from './cluster/run-cluster-bench.ts';

const POSTGRES = process.env.CALLBIN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Descendants of this test process that the benchmark starts (esbuild's service is tsx's own). */
function leftovers(): string[] {
  return processTree(process.pid)
    .filter((pid) => pid !== process.pid)
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        return '';
      }
    })
    .filter((cmd) => /sipp|kamailio|nats-server|taskset|cli\/main\.ts/.test(cmd));
}

test('bench/cluster.ts measures SQLite, PostgreSQL and two nodes behind Kamailio in one run and writes the result file (smoke, not speed)', async () => {
  const resultsDir = await mkdtemp(join(tmpdir(), 'callbin-cluster-bench-results-'));
  try {
    const r = await runClusterBench({
      ...CLUSTER_FULL_OPTIONS,
      rates: [5],
      stepSeconds: 2,
      costRatePerSec: 5,
      costSeconds: 2,
      idleSeconds: 1,
      warmUpSeconds: 0,
      postgresAdminUrl: POSTGRES,
      resultsDir,
      install: false,
    });
    assert.deepEqual(
      r.setups.map((s) => s.key),
      ['sqlite', 'postgres', 'cluster'],
    );
    const parts = {
      sqlite: ['node'],
      postgres: ['node', 'PostgreSQL backends'],
      cluster: ['nodes', 'PostgreSQL backends', 'NATS', 'Kamailio'],
    };
    for (const s of r.setups) {
      const step = s.cost.step;
      assert.ok(s.ladder.steps.length > 0, `${s.key}: a ladder step ran`);
      assert.ok(step.successful > 0, `${s.key}: calls completed: ${JSON.stringify(step)}`);
      assert.deepEqual(Object.keys(step.cpuMsPerCall), parts[s.key], `${s.key}: CPU parts`);
      for (const [part, ms] of Object.entries(step.cpuMsPerCall))
        assert.ok(Number.isFinite(ms) && ms >= 0, `${s.key} ${part}: ${ms}`);
      assert.ok(step.cpuMsPerCall[parts[s.key][0]!]! > 0, `${s.key}: the node's CPU was counted`);
      if (s.key === 'sqlite') assert.equal(s.cost.store, undefined);
      else {
        assert.ok(s.cost.store, `${s.key}: store counters`);
        assert.ok(s.cost.store.total.commits > 0 && s.cost.store.total.inserted > 0, JSON.stringify(s.cost.store));
      }
      if (s.key === 'cluster') {
        assert.ok(
          s.cost.bus && s.cost.bus.total.inMsgs > 0 && s.cost.bus.total.outMsgs > 0,
          JSON.stringify(s.cost.bus),
        );
        assert.ok(step.cpuMsPerCall.Kamailio! > 0, 'Kamailio relayed the calls');
      } else assert.equal(s.cost.bus, undefined);
    }
    for (const figure of ['CPS, highest sustained', 'CPU per call at 5 calls/s', 'idle CPU (no calls)']) {
      assert.deepEqual(
        r.lines.filter((l) => l.figure === figure).map((l) => l.setup),
        ['sqlite', 'postgres', 'cluster'],
        figure,
      );
    }
    const cpu = r.lines.find((l) => l.figure === 'CPU per call at 5 calls/s' && l.setup === 'sqlite');
    assert.equal(cpu?.ratio, 1, 'ratios are taken against (a)');
    assert.ok(r.webhooksReceived > 0, 'webhooks reached the local receiver');
    const files = await readdir(resultsDir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^cluster-.*\.json$/);
    const written = JSON.parse(await readFile(join(resultsDir, files[0]!), 'utf8'));
    assert.equal(written.lines.length, r.lines.length);
    assert.deepEqual(leftovers(), [], 'every process the benchmark started is gone');
    const names = r.setups.flatMap((s) => (s.database ? [s.database] : []));
    assert.equal(names.length, 2);
    const admin = new pg.Client({ connectionString: POSTGRES });
    await admin.connect();
    try {
      const { rows } = await admin.query('select datname from pg_database where datname = any($1)', [names]);
      assert.deepEqual(rows, [], 'the run dropped its databases');
    } finally {
      await admin.end();
    }
  } finally {
    await rm(resultsDir, { recursive: true, force: true });
  }
});
