import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { startCallbin, type CallbinHandle } from '../../src/main.ts';
import { silentLogger } from '../../src/shared/index.ts';
import type { Store } from '../../src/store/index.ts';
import type { TimelineLimits } from '../../src/telephony/index.ts';
import { startSipp, waitForUdpBound } from './calls-harness.ts';
import type { SippProcess } from './calls-harness.ts';
import { freeMediaPort, freePort } from './sipp.ts';
import { apiCall, type ApiResponse } from './api-call.ts';

/** The sipp scenarios of the test suite. */
export const SIPP_FIXTURES = fileURLToPath(new URL('../fixtures/sipp/', import.meta.url));

export { apiCall, type ApiResponse } from './api-call.ts';

/** A whole callbin (store, SIP, media, flows, HTTP API) running in this process on ephemeral ports. */
export interface TestCallbin {
  handle: CallbinHandle;
  /** `fetch` against the API (`path` starts with `/v1.0/`) with the admin key of the first start. */
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** The bound SIP UDP port on 127.0.0.1. */
  sipPort: number;
  store: Store;
  /** Stops callbin and removes its data directory; idempotent. */
  close(): Promise<void>;
}

/** An RTP range of `pairs` even/odd port pairs somewhere in 20000-39999, unlikely to collide with other test files. */
function randomRtpRange(pairs: number): { rtpPortMin: number; rtpPortMax: number } {
  const min = 20_000 + 2 * Math.floor(Math.random() * (10_000 - pairs));
  return { rtpPortMin: min, rtpPortMax: min + pairs * 2 - 1 };
}

/**
 * Starts callbin in-process with a fresh data directory, loopback listeners on port 0 and a random RTP
 * range; `overrides` change other settings (`mode`…), `opts.timelineLimits` the timeline recorder's limits.
 */
export async function startTestCallbin(
  overrides: Partial<Config> = {},
  opts: { timelineLimits?: Partial<TimelineLimits> } = {},
): Promise<TestCallbin> {
  const dataDir = await mkdtemp(join(tmpdir(), 'callbin-e2e-'));
  const config = loadConfig(
    {},
    {
      dataDir,
      httpHost: '127.0.0.1',
      httpPort: 0,
      sipHost: '127.0.0.1',
      sipPort: 0,
      logLevel: 'silent',
      ...randomRtpRange(100),
      ...overrides,
    },
  );
  let handle: CallbinHandle;
  try {
    handle = await startCallbin(config, { logger: silentLogger, ...opts });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  // A node of a cluster that was not the first to start knows the admin key from its settings.
  const key = overrides.adminKey || handle.admin?.accessKey;
  assert.ok(key, 'the first start creates the project admin');
  let closing: Promise<void> | undefined;
  return {
    handle,
    store: handle.store,
    sipPort: handle.sip.address.port,
    api: (method, path, body) => apiCall(handle.apiUrl, key, method, path, body),
    close: () => {
      closing ??= (async () => {
        await handle.close();
        // A file still being finished as the process closes (a cache write) can race the removal:
        // ENOTEMPTY is retried.
        await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      })();
      return closing;
    },
  };
}

/** Asserts an API answer's status, showing its body when it differs; returns the body. */
export function expectStatus(res: ApiResponse, status: number): any {
  assert.equal(res.status, status, `HTTP ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Creates a provider at 127.0.0.1:`port` through the API; returns its id. */
export async function createProvider(cb: TestCallbin, port: number, hostname = '127.0.0.1'): Promise<string> {
  const body = expectStatus(
    await cb.api('POST', '/v1.0/providers', {
      hostname,
      port,
      transport: 'udp',
      name: `peer ${port}`,
      codecs: ['PCMU'],
    }),
    200,
  );
  return body.id as string;
}

/** Creates a platform route `target` → `providerId` through the API; returns its id. */
export async function createRoute(
  cb: TestCallbin,
  providerId: string,
  priority: number,
  target = '+1',
): Promise<string> {
  const body = expectStatus(await cb.api('POST', '/v1.0/routes', { provider_id: providerId, target, priority }), 200);
  return body.id as string;
}

/** Creates a flow, and a number bound to it, through the API; returns the flow id. */
export async function createNumberWithFlow(cb: TestCallbin, number: string, actions: unknown[]): Promise<string> {
  const flow = expectStatus(await cb.api('POST', '/v1.0/flows', { name: `flow for ${number}`, actions }), 200);
  expectStatus(await cb.api('POST', '/v1.0/numbers', { number, call_flow_id: flow.id }), 200);
  return flow.id as string;
}

/** Polls `GET /v1.0/calls/{id}` until `predicate` holds; returns that call. */
export async function waitForCall(
  cb: Pick<TestCallbin, 'api'>,
  callId: string,
  predicate: (call: any) => boolean,
  timeoutMs = 15_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const res = await cb.api('GET', `/v1.0/calls/${callId}`);
    last = res.body;
    if (res.status === 200 && predicate(res.body)) return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `call ${callId} did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
  );
}

/** Polls `GET /v1.0/calls` until a call matches `predicate`; returns it. */
export async function waitForListedCall(
  cb: Pick<TestCallbin, 'api'>,
  predicate: (call: any) => boolean,
  timeoutMs = 15_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await cb.api('GET', '/v1.0/calls');
    const found = res.status === 200 ? (res.body.result as any[]).find(predicate) : undefined;
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no listed call matched within ${timeoutMs} ms`);
}

/** The `call` events of one call in the outbox, in seq order. */
export async function callEvents(cb: TestCallbin, callId: string): Promise<{ seq: number; type: string; data: any }[]> {
  const events = await cb.store.outbox.listForResource('call', callId);
  return events.map((e) => ({ seq: e.seq, type: e.type, data: e.data }));
}

/** The distinct successive statuses a call went through, from its outbox events. */
export async function statusTrail(cb: TestCallbin, callId: string): Promise<string[]> {
  const statuses = (await callEvents(cb, callId)).map((e) => e.data.status as string);
  return statuses.filter((s, i) => s !== statuses[i - 1]);
}

/**
 * Starts a sipp provider (UAS) on free ports for one call (unless `extra` has `-m`); `scenario` is a
 * fixture file name or `uas` for the built-in one. A free port can be taken between the check and
 * sipp's bind (by another test, or by the bind probe itself): a sipp that exits without binding is
 * started again on new ports, up to three times.
 */
export async function startSippProvider(
  scenario: string,
  extra: readonly string[] = [],
  host = '127.0.0.1',
): Promise<{ port: number; sipp: SippProcess }> {
  const source = scenario === 'uas' ? ['-sn', 'uas'] : ['-sf', `${SIPP_FIXTURES}${scenario}`];
  const calls = extra.includes('-m') ? [] : ['-m', '1'];
  for (let attempt = 1; ; attempt++) {
    const port = await freePort('udp');
    const sipp = await startSipp([
      ...source,
      '-i',
      host,
      '-p',
      String(port),
      '-mp',
      String(await freeMediaPort()),
      ...calls,
      ...extra,
    ]);
    let gone = false;
    void sipp.exited.then(
      () => (gone = true),
      () => (gone = true),
    );
    try {
      await waitForUdpBound(port, 5_000, () => gone, host);
      return { port, sipp };
    } catch (err) {
      await sipp.stop();
      if (attempt >= 3) throw err;
    }
  }
}

/** Starts a sipp caller into callbin dialling `dialled` from `ip`; `keys` are extra `-key name value` pairs. */
export async function startSippCaller(
  cb: Pick<TestCallbin, 'sipPort'>,
  scenario: string,
  dialled: string,
  options: { ip?: string; keys?: Record<string, string> } = {},
): Promise<SippProcess> {
  const keys = Object.entries(options.keys ?? {}).flatMap(([k, v]) => ['-key', k, v]);
  return startSipp([
    '-sf',
    `${SIPP_FIXTURES}${scenario}`,
    `127.0.0.1:${cb.sipPort}`,
    '-i',
    options.ip ?? '127.0.0.1',
    '-p',
    String(await freePort('udp')),
    '-mp',
    String(await freeMediaPort()),
    '-m',
    '1',
    '-s',
    dialled,
    ...keys,
  ]);
}

/** A UDP socket standing in for a provider: records every datagram it gets and never answers. */
export class SilentPeer {
  readonly #socket: Socket;
  readonly datagrams: string[] = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (msg) => this.datagrams.push(msg.toString()));
  }

  /** Binds on 127.0.0.1, ephemeral port. */
  static async open(): Promise<SilentPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    return new SilentPeer(socket);
  }

  /** The bound port. */
  get port(): number {
    return this.#socket.address().port;
  }

  /** Closes the socket. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}
