import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../shared/index.ts';
import type { Clock } from '../../shared/index.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';
import { ensureProjectAdmin } from '../bootstrap.ts';
import type { ApiDeps } from '../context.ts';
import { buildServer } from '../server.ts';

/** A response as the tests read it: the body parsed as JSON, or its text when it is not JSON. */
export interface TestResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the fields of whatever JSON the API answered
  body: any;
  headers: Record<string, unknown>;
}

/** One request: as `key` (the project admin's when absent, no credential when null), with a JSON `body` or a `rawBody`. */
export interface TestRequestOptions {
  key?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** A real SQLite store in a temporary folder, with the project admin created. */
export interface TestStore<C extends Clock = Clock> {
  dir: string;
  clock: C;
  store: Store;
  adminKey: string;
  adminCustomerId: string;
}

/** Opens a {@link TestStore} on `clock`; `name` prefixes the folder's name. */
export async function openTestStore<C extends Clock>(clock: C, name = 'callbin-api-'): Promise<TestStore<C>> {
  const dir = await mkdtemp(join(tmpdir(), name));
  const store = await openStore({ dataDir: dir, clock });
  const admin = await ensureProjectAdmin(store, { dataDir: dir, adminKey: '' });
  if (!admin) throw new Error('project admin was not created');
  return { dir, clock, store, adminKey: admin.accessKey, adminCustomerId: admin.customerId };
}

/** How a test server is built over its store. */
export interface TestServerOptions {
  rateLimitPerSec?: number;
  rateLimitBurst?: number;
  /** What `buildServer` gets besides the store, the clock and the fixed test values. */
  deps?: Partial<ApiDeps>;
  /** Listens on 127.0.0.1 on an ephemeral port (for WebSocket clients); otherwise only `inject()` drives it. */
  listen?: boolean;
  /** Runs first when the server closes (the services given in `deps`). */
  beforeClose?: () => Promise<void> | void;
}

/** An API over a {@link TestStore}; closing it closes the store and removes its folder. */
export interface TestServer<C extends Clock = Clock> extends TestStore<C> {
  app: FastifyInstance;
  /** The port it listens on; 0 when it does not. */
  port: number;
  request(method: string, url: string, opts?: TestRequestOptions): Promise<TestResponse>;
  /** Creates a customer (as the admin) and an access key for it. */
  newCustomer(name: string): Promise<{ id: string; key: string }>;
  close(): Promise<void>;
}

/** Starts a {@link TestServer} over `base`. */
export async function startTestServer<C extends Clock>(
  base: TestStore<C>,
  options: TestServerOptions = {},
): Promise<TestServer<C>> {
  const { dir, clock, store, adminKey } = base;
  const app = await buildServer({
    store,
    clock,
    logger: silentLogger,
    jwtSecret: randomBytes(32),
    sipDomain: 'sip.test',
    mode: 'local',
    rateLimitPerSec: options.rateLimitPerSec ?? 10_000,
    rateLimitBurst: options.rateLimitBurst ?? 10_000,
    ...options.deps,
  });
  const port = options.listen ? await listen(app) : 0;
  const request: TestServer['request'] = async (method, url, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const key = o.key === undefined ? adminKey : o.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    const payload = o.rawBody ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined);
    if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload !== undefined ? { payload } : {}),
    });
    let body: unknown = res.body;
    try {
      body = JSON.parse(res.body);
    } catch {
      // not JSON (e.g. /metrics): keep the text
    }
    return { status: res.statusCode, body, headers: res.headers };
  };
  return {
    ...base,
    app,
    port,
    request,
    newCustomer: async (name) => {
      const c = await request('POST', '/v1.0/customers', { body: { name } });
      if (c.status !== 200) throw new Error(`customer create failed: ${JSON.stringify(c.body)}`);
      const k = await request('POST', '/v1.0/accesskeys', { body: { name: 'k', customer_id: c.body.id } });
      if (k.status !== 200) throw new Error(`key create failed: ${JSON.stringify(k.body)}`);
      return { id: c.body.id, key: k.body.token };
    },
    close: async () => {
      await options.beforeClose?.();
      await app.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as { port: number }).port;
}
