import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startProcess } from '../../test/support/process.ts';
import type { BenchEnv } from './bench-env.ts';
import { CALLEE_NUMBER, CALLER_NUMBER } from './callbin-server.ts';
import { ServerProbe } from './proc-stats.ts';
import type { CpuPin } from './sipp-run.ts';

const HTTP_LOAD = fileURLToPath(new URL('../http-load.ts', import.meta.url));
const BARE_SERVER = fileURLToPath(new URL('./bare-http-server.ts', import.meta.url));

/** Requests per second of one closed-loop HTTP run and the server CPU it cost. */
export interface HttpFigures {
  ok: number;
  failed: number;
  perSec: number;
  cpuMsPerRequest: number;
}

/** `POST /v1.0/calls` throughput (each call dials the sipp UAS) beside a bare fastify POST. */
export interface ApiCallsResult {
  callbin: HttpFigures;
  baseline: HttpFigures;
}

function load(pin: CpuPin, args: object): Promise<{ ok: number; failed: number; rps: number }> {
  const node = [process.execPath, '--import', 'tsx', HTTP_LOAD, JSON.stringify(args)];
  const argv = pin === undefined ? node : ['taskset', '-c', pin, ...node];
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: 120_000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}'));
    });
  });
}

async function measure(probe: ServerProbe, pin: CpuPin, args: object): Promise<HttpFigures> {
  const { result, cpuMs } = await probe.measure(() => load(pin, args));
  return {
    ok: result.ok,
    failed: result.failed,
    perSec: result.rps,
    cpuMsPerRequest: result.ok > 0 ? cpuMs / result.ok : NaN,
  };
}

/**
 * Creates calls through the API for `durationMs` with `concurrency` connections. Each call dials
 * the UAS (answers at once), sleeps 1 s and hangs up. The baseline is a bare fastify JSON POST in
 * its own process on the server core, driven by the same load generator.
 */
export async function runApiCalls(
  env: BenchEnv,
  o: { durationMs: number; concurrency: number },
): Promise<ApiCallsResult> {
  const cb = env.callbin.server;
  const body = JSON.stringify({
    source: { type: 'tel', target: CALLER_NUMBER },
    destinations: [{ type: 'tel', target: CALLEE_NUMBER }],
    actions: [{ type: 'sleep', option: { duration: 1000 } }, { type: 'hangup' }],
  });
  const headers = { authorization: `Bearer ${cb.key}`, 'content-type': 'application/json' };
  const callbin = await measure(env.callbin.probe, env.pins.load, {
    url: `${cb.apiUrl}/v1.0/calls`,
    method: 'POST',
    headers,
    body,
    durationMs: o.durationMs,
    concurrency: o.concurrency,
  });
  const node = [process.execPath, '--import', 'tsx', BARE_SERVER];
  const argv = env.pins.server === undefined ? node : ['taskset', '-c', env.pins.server, ...node];
  const bare = startProcess(argv[0]!, argv.slice(1), process.env);
  try {
    const [, port] = await bare.waitFor(/listening (\d+)/, 30_000);
    const baseline = await measure(new ServerProbe([bare.child.pid!]), env.pins.load, {
      url: `http://127.0.0.1:${port}/echo`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      durationMs: o.durationMs,
      concurrency: o.concurrency,
    });
    return { callbin, baseline };
  } finally {
    await bare.stop();
  }
}
