import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildServer, ensureProjectAdmin } from '../../src/api/index.ts';
import { silentLogger, systemClock, type Clock } from '../../src/shared/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { isSupportedLanguage, listVoices } from '../../src/media/index.ts';

/** A response as the tests read it. */
export interface TestResponse {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

/** An in-process API over a real SQLite store in a temp directory, with the project admin created. */
export interface TestApi {
  app: FastifyInstance;
  store: Store;
  adminKey: string;
  adminCustomerId: string;
  request(
    method: string,
    url: string,
    opts?: { key?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<TestResponse>;
  /** Create a customer (as the admin) and an access key for it. */
  newCustomer(name: string): Promise<{ id: string; key: string }>;
  close(): Promise<void>;
}

/** Start a TestApi; `inject()` drives it, nothing listens. */
export async function startTestApi(
  opts: { rateLimitPerSec?: number; rateLimitBurst?: number; clock?: Clock } = {},
): Promise<TestApi> {
  const dir = mkdtempSync(join(tmpdir(), 'callbin-api-'));
  const clock = opts.clock ?? systemClock;
  const store = await openStore({ dataDir: dir, clock });
  const admin = await ensureProjectAdmin(store, { dataDir: dir, adminKey: '' });
  if (!admin) throw new Error('project admin was not created');
  const app = await buildServer({
    store,
    clock,
    logger: silentLogger,
    jwtSecret: randomBytes(32),
    sipDomain: 'sip.test',
    mode: 'local',
    rateLimitPerSec: opts.rateLimitPerSec ?? 10_000,
    rateLimitBurst: opts.rateLimitBurst ?? 10_000,
    isSupportedLanguage,
    ttsVoices: listVoices,
  });
  const request: TestApi['request'] = async (method, url, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const key = o.key === undefined ? admin.accessKey : o.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let payload: string | undefined;
    if (o.rawBody !== undefined) payload = o.rawBody;
    else if (o.body !== undefined) payload = JSON.stringify(o.body);
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
    app,
    store,
    request,
    adminKey: admin.accessKey,
    adminCustomerId: admin.customerId,
    newCustomer: async (name) => {
      const c = await request('POST', '/v1.0/customers', { body: { name } });
      if (c.status !== 200) throw new Error(`customer create failed: ${JSON.stringify(c.body)}`);
      const k = await request('POST', '/v1.0/accesskeys', { body: { name: 'k', customer_id: c.body.id } });
      if (k.status !== 200) throw new Error(`key create failed: ${JSON.stringify(k.body)}`);
      return { id: c.body.id, key: k.body.token };
    },
    close: async () => {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
