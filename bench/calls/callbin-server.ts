import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess } from '../../test/support/process.ts';
import type { CpuPin } from './sipp-run.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The numbers the benchmarks dial, each bound to one flow. */
export const BENCH_NUMBERS = {
  answerHangup: '+15550000001',
  connect: '+15550000002',
  talk: '+15550000003',
} as const;

/** The number callbin's outgoing calls dial (routed to the sipp UAS provider). */
export const CALLEE_NUMBER = '+15559990001';

/** The caller-id the benchmark callers present. */
export const CALLER_NUMBER = '+15550009999';

/** A local webhook receiver answering 200 to everything, counting what it got. */
export interface WebhookSink {
  url: string;
  received(): number;
  /** Resolves once nothing arrived for `idleMs` (the server's queue of webhooks is drained). */
  quiet(idleMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a node:http receiver on 127.0.0.1 that answers 200 to every request. */
export async function startWebhookSink(): Promise<WebhookSink> {
  let count = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count += 1;
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received: () => count,
    quiet: async (idleMs = 500) => {
      for (let seen = -1; seen !== count; ) {
        seen = count;
        await new Promise((r) => setTimeout(r, idleMs));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A callbin started by `callbin start` with its embedded store, configured for the benchmarks. */
export interface CallbinServer {
  pid: number;
  apiUrl: string;
  sipPort: number;
  key: string;
  /** Calls the API with the admin key; throws on a status ≥ 400. */
  api(method: string, path: string, body?: unknown): Promise<any>;
  stop(): Promise<void>;
}

/**
 * Starts `callbin start` pinned to `pin`, on ephemeral API/SIP ports, with a fresh data folder;
 * `nodeArgs` e.g. `--cpu-prof`; `env` adds CALLBIN_* settings of this server only (`CALLBIN_TIMELINE`).
 */
export async function startCallbinServer(
  o: {
    pin?: CpuPin;
    rtpPortMin?: number;
    rtpPortMax?: number;
    nodeArgs?: readonly string[];
    env?: Readonly<Record<string, string>>;
  } = {},
): Promise<CallbinServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'callbin-bench-data-'));
  const key = `vb_bench_${randomBytes(12).toString('hex')}`;
  // CALLBIN_* settings of the bench's own environment reach the server (`--decoded`: CALLBIN_MEDIA_RELAY=0).
  const env = {
    ...process.env,
    CALLBIN_LOG_LEVEL: 'warn',
    CALLBIN_DATA_DIR: dataDir,
    CALLBIN_HTTP_HOST: '127.0.0.1',
    CALLBIN_HTTP_PORT: '0',
    CALLBIN_SIP_HOST: '127.0.0.1',
    CALLBIN_SIP_PORT: '0',
    CALLBIN_PUBLIC_IP: '127.0.0.1',
    CALLBIN_ADMIN_KEY: key,
    CALLBIN_RATE_LIMIT_PER_SEC: '1000000',
    CALLBIN_RATE_LIMIT_BURST: '1000000',
    CALLBIN_RTP_PORT_MIN: String(o.rtpPortMin ?? 20000),
    CALLBIN_RTP_PORT_MAX: String(o.rtpPortMax ?? 29999),
    ...o.env,
  };
  const node = [
    process.execPath,
    ...(o.nodeArgs ?? []),
    '--import',
    'tsx',
    join(REPO_ROOT, 'src/cli/main.ts'),
    'start',
  ];
  const argv = o.pin === undefined ? node : ['taskset', '-c', o.pin, ...node];
  const proc = startProcess(argv[0]!, argv.slice(1), env);
  const stop = async (): Promise<void> => {
    await proc.stop('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const [, apiUrl] = await proc.waitFor(/API:\s+(http:\/\/127\.0\.0\.1:\d+)\/v1\.0/, 60_000);
    const [, sipPort] = await proc.waitFor(/SIP:\s+sip:[\d.]+:(\d+)/);
    const api = async (method: string, path: string, body?: unknown): Promise<any> => {
      const res = await fetch(`${apiUrl}/v1.0${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text === '' ? undefined : JSON.parse(text);
    };
    return { pid: proc.child.pid!, apiUrl: apiUrl!, sipPort: Number(sipPort), key, api, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** What {@link configureCallbin} created. */
export interface CallbinSetup {
  flowIds: Record<keyof typeof BENCH_NUMBERS, string>;
}

/**
 * Configures callbin for the call benchmarks: webhooks to `webhookUrl`, the caller's address as a
 * trusted provider, the UAS as the provider of a `+1` route, and one number per benchmark flow.
 */
export async function configureCallbin(
  cb: CallbinServer,
  o: { webhookUrl: string; callerPort: number; uasPort: number },
): Promise<CallbinSetup> {
  await cb.api('PUT', '/customer', { webhook_uri: o.webhookUrl, webhook_method: 'POST' });
  await cb.api('POST', '/providers', {
    hostname: '127.0.0.1',
    port: o.callerPort,
    transport: 'udp',
    name: 'bench caller',
  });
  const uas = await cb.api('POST', '/providers', {
    hostname: '127.0.0.1',
    port: o.uasPort,
    transport: 'udp',
    name: 'bench callee (sipp uas)',
  });
  await cb.api('POST', '/routes', { provider_id: uas.id, target: '+1', priority: 1 });
  const flows: Record<keyof typeof BENCH_NUMBERS, unknown[]> = {
    answerHangup: [{ type: 'answer' }, { type: 'hangup' }],
    connect: [
      {
        type: 'connect',
        option: {
          source: { type: 'tel', target: CALLER_NUMBER },
          destinations: [{ type: 'tel', target: CALLEE_NUMBER }],
        },
      },
    ],
    talk: [
      { type: 'answer' },
      {
        id: '6d1f1f8e-0000-4000-8000-000000000001',
        type: 'talk',
        option: {
          text: 'This is callbin speaking on a benchmark call. The quick brown fox jumps over the lazy dog.',
          language: 'en-US',
        },
      },
      { type: 'goto', option: { target_id: '6d1f1f8e-0000-4000-8000-000000000001', loop_count: 1000 } },
    ],
  };
  const flowIds = {} as Record<keyof typeof BENCH_NUMBERS, string>;
  for (const [name, actions] of Object.entries(flows) as [keyof typeof BENCH_NUMBERS, unknown[]][]) {
    const flow = await cb.api('POST', '/flows', { name: `bench ${name}`, actions });
    flowIds[name] = flow.id as string;
    await cb.api('POST', '/numbers', { number: BENCH_NUMBERS[name], call_flow_id: flow.id });
  }
  return { flowIds };
}
