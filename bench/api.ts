// HTTP API throughput: GET /v1.0/flows/{id} and POST /v1.0/flows on callbin (embedded SQLite, real
// auth) against a bare fastify hello-world measured in the same run, with the same load generator.
// Run: node --import tsx bench/api.ts [durationMs]
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { buildServer, ensureProjectAdmin } from '../src/api/index.ts';
import { silentLogger, systemClock } from '../src/shared/index.ts';
import { openStore } from '../src/store/index.ts';

/** One measured figure. */
export interface ApiBenchResult {
  scenario: string;
  rps: number;
  baselineRps: number;
  ratio: number;
  failed: number;
}

const here = fileURLToPath(new URL('.', import.meta.url));

// The server (this process) and the load generator each get their own core when the machine has
// two or more, so the client's CPU does not eat into the server's (`taskset`, util-linux).
let pinned = false;

function pinServerToCore0(): void {
  pinned =
    availableParallelism() >= 2 &&
    spawnSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' }).status === 0;
}

function load(args: object): Promise<{ ok: number; failed: number; rps: number }> {
  const argv = ['--import', 'tsx', join(here, 'http-load.ts'), JSON.stringify(args)];
  const [cmd, cmdArgs] = pinned ? ['taskset', ['-c', '1', process.execPath, ...argv]] : [process.execPath, argv];
  return new Promise((resolve, reject) => {
    execFile(cmd, cmdArgs, { timeout: 120_000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}'));
    });
  });
}

/** Measure callbin's API against bare fastify; `durationMs` per scenario. */
export async function runApiBench(opts: {
  durationMs: number;
  concurrency?: number;
  pin?: boolean;
}): Promise<ApiBenchResult[]> {
  if (opts.pin) pinServerToCore0();
  const concurrency = opts.concurrency ?? 32;
  const bare = Fastify();
  bare.get('/hello', async () => ({ hello: 'world' }));
  bare.post('/hello', async (req) => ({ got: req.body }));
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

  const dir = mkdtempSync(join(tmpdir(), 'callbin-bench-'));
  const store = await openStore({ dataDir: dir });
  const admin = await ensureProjectAdmin(store, { dataDir: dir, adminKey: '' });
  const app = await buildServer({
    store,
    clock: systemClock,
    logger: silentLogger,
    jwtSecret: randomBytes(32),
    sipDomain: 'sip.bench',
    mode: 'local',
    rateLimitPerSec: 1e9,
    rateLimitBurst: 1e9,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const auth = { authorization: `Bearer ${admin!.accessKey}`, 'content-type': 'application/json' };
  const flowBody = JSON.stringify({
    name: 'bench',
    actions: [{ type: 'answer' }, { type: 'talk', option: { text: 'hello', language: 'en-US' } }, { type: 'hangup' }],
  });
  const created = (await (
    await fetch(`${url}/v1.0/flows`, { method: 'POST', headers: auth, body: flowBody })
  ).json()) as { id: string };

  const results: ApiBenchResult[] = [];
  try {
    const common = { durationMs: opts.durationMs, concurrency };
    // Warm-up both servers so the JIT has seen the paths.
    await load({
      ...common,
      durationMs: Math.min(1000, opts.durationMs),
      url: `${bareUrl}/hello`,
      method: 'GET',
      headers: {},
    });
    await load({
      ...common,
      durationMs: Math.min(1000, opts.durationMs),
      url: `${url}/v1.0/flows/${created.id}`,
      method: 'GET',
      headers: auth,
    });
    const bareGet = await load({ ...common, url: `${bareUrl}/hello`, method: 'GET', headers: {} });
    const get = await load({ ...common, url: `${url}/v1.0/flows/${created.id}`, method: 'GET', headers: auth });
    results.push({
      scenario: 'GET /v1.0/flows/{id}',
      rps: get.rps,
      baselineRps: bareGet.rps,
      ratio: get.rps / bareGet.rps,
      failed: get.failed,
    });
    const barePost = await load({
      ...common,
      url: `${bareUrl}/hello`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: flowBody,
    });
    const post = await load({ ...common, url: `${url}/v1.0/flows`, method: 'POST', headers: auth, body: flowBody });
    results.push({
      scenario: 'POST /v1.0/flows',
      rps: post.rps,
      baselineRps: barePost.rps,
      ratio: post.rps / barePost.rps,
      failed: post.failed,
    });
  } finally {
    await app.close();
    await bare.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const durationMs = Number(process.argv[2] ?? 5000);
  const results = await runApiBench({ durationMs, pin: true });
  console.log(
    `API benchmark (${cpus().length} cores, ${pinned ? 'server on core 0, load generator on core 1' : 'unpinned'}, ${durationMs} ms per scenario, baseline: bare fastify hello-world)`,
  );
  for (const r of results) {
    console.log(
      `${r.scenario.padEnd(24)} callbin ${r.rps.toFixed(0).padStart(7)} req/s   bare fastify ${r.baselineRps.toFixed(0).padStart(7)} req/s   ratio ${(r.ratio * 100).toFixed(1)} %   failed ${r.failed}`,
    );
  }
}
