import type { FastifyInstance } from 'fastify';
import { openTestStore, startTestServer } from '../../src/api/testing/test-server.ts';
import type { TestRequestOptions, TestResponse } from '../../src/api/testing/test-server.ts';
import { systemClock, type Clock } from '../../src/shared/index.ts';
import type { Store } from '../../src/store/index.ts';
import { isSupportedLanguage, listVoices } from '../../src/media/index.ts';

export type { TestResponse };

/** An in-process API over a real SQLite store in a temp directory, with the project admin created. */
export interface TestApi {
  app: FastifyInstance;
  store: Store;
  adminKey: string;
  adminCustomerId: string;
  request(method: string, url: string, opts?: TestRequestOptions): Promise<TestResponse>;
  /** Create a customer (as the admin) and an access key for it. */
  newCustomer(name: string): Promise<{ id: string; key: string }>;
  close(): Promise<void>;
}

/** Start a TestApi; `inject()` drives it, nothing listens. */
export async function startTestApi(
  opts: { rateLimitPerSec?: number; rateLimitBurst?: number; clock?: Clock } = {},
): Promise<TestApi> {
  const { clock, ...limits } = opts;
  const deps = { isSupportedLanguage, ttsVoices: listVoices };
  return startTestServer(await openTestStore(clock ?? systemClock), { ...limits, deps });
}
