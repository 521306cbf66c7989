// Crash under load (docs/events.md "Webhook delivery"): a real callbin
// process takes `[answer, hangup]` calls from a sipp caller and `POST /v1.0/calls` to a sipp UAS,
// webhooks on, and is killed with SIGKILL while calls flow; it restarts on the same data folder and
// SIP port, and once the webhooks went quiet the store and the receiver are compared
// (crash-load-check.ts). The e2e test runs it briefly; bench/crash-load.ts at 300 calls/s.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/shared/index.ts';
import { openStore } from '../../src/store/index.ts';
import { waitForUdpBound } from './calls-harness.ts';
import { SIPP_FIXTURES, apiCall } from './callbin.ts';
import type { ApiResponse } from './callbin.ts';
import { checkCrashLoad } from './crash-load-check.ts';
import { AnswerTripwire } from './crash-tripwire.ts';
import type { CrashCheck, StoredEventView } from './crash-load-check.ts';
import { startProcess } from './process.ts';
import type { RunningProcess } from './process.ts';
import { freeMediaPort, freePort } from './sipp.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

const DIALLED = '+15550000001';

/** How one run is shaped. */
export interface CrashLoadOptions {
  /** Incoming calls per second from the sipp caller. */
  ratePerSec: number;
  /** Load before the SIGKILL. */
  beforeKillMs: number;
  /** The caller keeps dialling this long after the kill (into the dead port, then the restarted process). */
  afterKillMs: number;
  /** `POST /v1.0/calls` per second until the kill (each call sleeps 1 s, then hangs up). */
  apiPerSec: number;
  /** Calls per second of the tripwire caller whose answer triggers the kill (crash-tripwire.ts). */
  tripwirePerSec: number;
  /** CPU lists for `taskset -c`: sipp on `load`, callbin on `server`. */
  pin?: { load: string; server: string };
  /** sipp's `-recv_timeout`: a call waiting longer for a response or the BYE fails. */
  sippRecvTimeoutMs: number;
  log?: (line: string) => void;
}

/** What one run saw. */
export interface CrashLoadResult extends CrashCheck {
  /** Calls the sipp caller was told to place. */
  offered: number;
  answeredBeforeKill: number;
  answered: number;
  apiCallsBeforeKill: number;
  /** `POST /v1.0/calls` answers before the kill by HTTP status (`error` when no answer). */
  apiStatuses: Record<string, number>;
  /** Start of the restart to its API banner. */
  restartMs: number;
  /** The kill to the last webhook received. */
  drainMs: number;
  restartExitCode: number | null;
}

interface Child {
  process: RunningProcess;
  apiUrl: string;
  sipPort: number;
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spawnPinned(pin: string | undefined, cmd: string, args: readonly string[], cwd: string): ChildProcess {
  const argv = pin === undefined ? [cmd, ...args] : ['taskset', '-c', pin, cmd, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.resume();
  return child;
}

async function startChild(env: Record<string, string>, key: string, pin: string | undefined): Promise<Child> {
  const node = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'start'];
  const argv = pin === undefined ? node : ['taskset', '-c', pin, ...node];
  const child = startProcess(argv[0]!, argv.slice(1), { ...process.env, CALLBIN_LOG_LEVEL: 'warn', ...env });
  try {
    const [, apiUrl = ''] = await child.waitFor(/API:\s+(http:\/\/127\.0\.0\.1:\d+)\/v1\.0/, 60_000);
    const [, sipPort] = await child.waitFor(/SIP:\s+sip:[\d.]+:(\d+)/);
    return { process: child, apiUrl, sipPort: Number(sipPort), api: (m, p, b) => apiCall(apiUrl, key, m, p, b) };
  } catch (err) {
    await child.stop('SIGKILL');
    throw err;
  }
}

async function ok(res: Promise<ApiResponse>, what: string): Promise<any> {
  const r = await res;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function answeredNames(logFile: string): Promise<Set<string>> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return new Set([...text.matchAll(/answered (c\d+)/g)].map((m) => m[1]!));
}

/** Runs the scenario once; throws only when it could not run, violations are in `problems`. */
export async function runCrashLoad(o: CrashLoadOptions): Promise<CrashLoadResult> {
  const log = o.log ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'callbin-crash-load-'));
  const dataDir = join(dir, 'data');
  const key = `vb_${randomBytes(24).toString('base64url')}`;
  const rtpMin = 20_000 + 2 * Math.floor(Math.random() * 8_900);
  const env: Record<string, string> = {
    CALLBIN_DATA_DIR: dataDir,
    CALLBIN_HTTP_HOST: '127.0.0.1',
    CALLBIN_HTTP_PORT: '0',
    CALLBIN_SIP_HOST: '127.0.0.1',
    CALLBIN_SIP_PORT: '0',
    CALLBIN_PUBLIC_IP: '127.0.0.1',
    CALLBIN_RTP_PORT_MIN: String(rtpMin),
    CALLBIN_RTP_PORT_MAX: String(rtpMin + 1_999),
    CALLBIN_ADMIN_KEY: key,
    CALLBIN_RATE_LIMIT_PER_SEC: '1000000',
    CALLBIN_RATE_LIMIT_BURST: '1000000',
  };
  const children: Child[] = [];
  const sipps: ChildProcess[] = [];
  const closers: (() => void)[] = [];
  const receiver = await WebhookReceiver.start();
  let lastAt = 0;
  receiver.respondWith(() => {
    lastAt = Date.now();
    return 200;
  });
  try {
    const uasPort = await freePort('udp');
    sipps.push(
      spawnPinned(
        o.pin?.load,
        'sipp',
        ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(uasPort), '-mp', String(await freeMediaPort()), '-nostdin'],
        dir,
      ),
    );
    await waitForUdpBound(uasPort);
    const first = await startChild(env, key, o.pin?.server);
    children.push(first);
    await ok(
      first.api('PUT', '/v1.0/customer', { webhook_uri: receiver.url('/hook'), webhook_method: 'POST' }),
      'customer',
    );
    const uas = await ok(
      first.api('POST', '/v1.0/providers', { hostname: '127.0.0.1', port: uasPort, transport: 'udp', name: 'uas' }),
      'provider',
    );
    await ok(first.api('POST', '/v1.0/routes', { provider_id: uas.id, target: '+1', priority: 1 }), 'route');
    const flow = await ok(
      first.api('POST', '/v1.0/flows', { name: 'answer, hangup', actions: [{ type: 'answer' }, { type: 'hangup' }] }),
      'flow',
    );
    await ok(first.api('POST', '/v1.0/numbers', { number: DIALLED, call_flow_id: flow.id }), 'number');

    // The caller: rate × (before + after) calls, each logged when answered.
    const logFile = join(dir, 'answered.log');
    const calls = Math.round((o.ratePerSec * (o.beforeKillMs + o.afterKillMs)) / 1000);
    const callerArgs = [
      ...['-sf', `${SIPP_FIXTURES}crash-load-uac.xml`, `127.0.0.1:${first.sipPort}`, '-i', '127.0.0.1'],
      ...['-mp', String(await freeMediaPort())],
      ...['-p', String(await freePort('udp')), '-s', DIALLED, '-r', String(o.ratePerSec), '-m', String(calls)],
      ...['-l', String(o.ratePerSec * 60), '-recv_timeout', String(o.sippRecvTimeoutMs), '-nostdin'],
      ...['-trace_logs', '-log_file', logFile, '-max_recv_loops', '10000', '-max_sched_loops', '10000'],
    ];
    const callerProc = spawnPinned(o.pin?.load, 'sipp', callerArgs, dir);
    sipps.push(callerProc);
    const callerExited = new Promise<void>((resolve) => callerProc.once('close', () => resolve()));

    const tripwire = await AnswerTripwire.start(first.sipPort, DIALLED, 1000 / o.tripwirePerSec);
    closers.push(() => tripwire.close());

    // API calls to the UAS until the kill; only a 2xx answer counts as told.
    const apiCallIds = new Set<string>();
    const apiStatuses: Record<string, number> = {};
    const count = (status: string) => {
      apiStatuses[status] = (apiStatuses[status] ?? 0) + 1;
    };
    let killing = false;
    const apiLoop = (async () => {
      for (let i = 0; !killing; i++) {
        const started = Date.now();
        const body = {
          source: { type: 'tel', target: '+15550001000' },
          destinations: [{ type: 'tel', target: `+1555999${String(1000 + (i % 9000))}` }],
          actions: [{ type: 'sleep', option: { duration: 1000 } }, { type: 'hangup' }],
        };
        void first.api('POST', '/v1.0/calls', body).then(
          (r) => {
            count(String(r.status));
            if (r.status >= 200 && r.status < 300) for (const c of r.body.calls ?? []) apiCallIds.add(c.id);
          },
          () => count('error'),
        );
        await sleep(Math.max(0, 1000 / o.apiPerSec - (Date.now() - started)));
      }
    })();

    // The kill lands the moment the tripwire's next call is answered (or a second later).
    await sleep(o.beforeKillMs);
    let killedAt = 0;
    const kill = () => {
      if (killedAt !== 0) return;
      killedAt = Date.now();
      first.process.child.kill('SIGKILL');
    };
    const died = new Promise((resolve) => first.process.child.once('exit', resolve));
    tripwire.arm(kill);
    const fallback = setTimeout(kill, 1000);
    await died;
    clearTimeout(fallback);
    killing = true;
    await apiLoop;
    const answeredBeforeKill = (await answeredNames(logFile)).size + tripwire.answered.size;
    const apiCallsBeforeKill = apiCallIds.size;
    log(`killed after ${o.beforeKillMs} ms: ${answeredBeforeKill} calls answered, ${apiCallsBeforeKill} API calls`);

    const second = await startChild({ ...env, CALLBIN_SIP_PORT: String(first.sipPort) }, key, o.pin?.server);
    children.push(second);
    const restartMs = Date.now() - killedAt;
    log(`restarted in ${restartMs} ms`);
    await callerExited;
    tripwire.stopDialling();
    log('the caller finished');

    // Quiet: no call still up (its last events are yet to come; a SIGTERM would end it and store them
    // as the process stops), no delivery left pending (the embedded store leases in memory, so in
    // flight is pending too) and nothing received for a second.
    for (let seen = -1; ; ) {
      const pending = await ok(second.api('GET', '/v1.0/webhook_deliveries?status=pending&page_size=1'), 'deliveries');
      const recent = await ok(second.api('GET', '/v1.0/calls?page_size=100'), 'calls');
      const live = (recent.result as { status: string }[]).some((c) => c.status !== 'hangup');
      if (pending.result.length === 0 && !live && seen === receiver.received.length) break;
      seen = receiver.received.length;
      await sleep(1000);
    }
    const failed = await ok(second.api('GET', '/v1.0/webhook_deliveries?status=failed&page_size=1'), 'deliveries');
    const restartExitCode = await second.process.stop('SIGTERM');
    const stored = await readStoredEvents(dataDir);
    const answered = new Set([...(await answeredNames(logFile)), ...tripwire.answered]);
    const check = checkCrashLoad(stored, receiver.received, { answeredNames: answered, apiCallIds });
    if (failed.result.length > 0) check.problems.push('a webhook delivery failed for good');
    if (restartExitCode !== 0) check.problems.push(`the restarted callbin exited ${restartExitCode} on SIGTERM`);
    for (const line of second.process.output().split('\n')) {
      if (/"level":\s*(50|60)/.test(line)) check.problems.push(`restarted callbin logged: ${line.slice(0, 300)}`);
    }
    return {
      ...check,
      offered: calls,
      apiStatuses,
      answeredBeforeKill,
      answered: answered.size,
      apiCallsBeforeKill,
      restartMs,
      drainMs: lastAt - killedAt,
      restartExitCode,
    };
  } finally {
    for (const c of children) await c.process.stop('SIGKILL');
    for (const s of sipps) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
    for (const close of closers) close();
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every event in the store, in position order. */
async function readStoredEvents(dataDir: string): Promise<StoredEventView[]> {
  const store = await openStore({ dataDir, clock: systemClock });
  try {
    const out: StoredEventView[] = [];
    for (let after = 0; ; ) {
      const page = await store.outbox.listAfter({
        afterPosition: after,
        sinceIso: '1970-01-01T00:00:00.000Z',
        limit: 5000,
      });
      if (page.length === 0) return out;
      for (const e of page) out.push({ ...e, data: e.data as any });
      after = page.at(-1)!.position;
    }
  } finally {
    await store.close();
  }
}
