import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  dropDatabase,
  ensureDatabase,
  newAdminKey,
  startEdge,
  startNode,
  withDatabase,
  type EdgeProcess,
  type NodeProcess,
} from '../../scripts/cluster-launcher.ts';
import { apiCall, type ApiResponse } from './api-call.ts';
import { startTestCallbin, type TestCallbin } from './callbin.ts';

/** The PostgreSQL server the tests may create databases on (as the store contract suite uses). */
export const TEST_DATABASE_SERVER = process.env.CALLBIN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The NATS server of the tests (JetStream on). */
export const TEST_NATS_URL = process.env.CALLBIN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export { apiCall, type ApiResponse } from './api-call.ts';

/** A cluster node inside the test's process: `databaseUrl`, the test NATS server, no overload guard. */
export function startInProcessNode(nodeId: string, databaseUrl: string, adminKey: string): Promise<TestCallbin> {
  return startTestCallbin({ databaseUrl, natsUrl: TEST_NATS_URL, nodeId, adminKey, overloadUtilisation: 0 });
}

/** Asserts an API answer's status, showing its body when it differs; returns the body. */
export function expectStatus(res: ApiResponse, status: number): any {
  if (res.status !== status) throw new Error(`expected HTTP ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** One callbin node of a test cluster (a child process). */
export interface ClusterNode extends NodeProcess {
  /** `fetch` against this node's API with the cluster's admin key. */
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
}

/** A cluster on loopback: a fresh PostgreSQL database, N nodes, optionally Kamailio in front. */
export interface TestCluster {
  nodes: ClusterNode[];
  edge?: EdgeProcess;
  databaseUrl: string;
  natsUrl: string;
  adminKey: string;
  /** Runs SQL on the cluster's database directly; returns the rows. */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Stops Kamailio and every node still running (SIGTERM, then SIGKILL), drops the database; idempotent. */
  close(): Promise<void>;
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  nodes: number;
  /** Start Kamailio from deploy/kamailio/ with every node in its dispatcher set. */
  edge?: boolean;
  /** More CALLBIN_* settings for every node. */
  env?: Record<string, string>;
}

const NODE_NAMES = 'abcdefghijklmnopqrstuvwxyz';
// Each node gets its own RTP range in 20000-39999, as the in-process test callbins pick theirs.
const RTP_PAIRS = 200;

function rtpRange(): { rtpPortMin: number; rtpPortMax: number } {
  const min = 20_000 + 2 * Math.floor(Math.random() * (10_000 - RTP_PAIRS));
  return { rtpPortMin: min, rtpPortMax: min + RTP_PAIRS * 2 - 1 };
}

/**
 * Starts a cluster for one test file: a fresh database `callbin_cluster_<random>`, then the nodes one
 * after another (the first start migrates the database and creates the project admin with the
 * cluster's admin key; the others find both), node ids `node-a`, `node-b`… made unique per run,
 * then Kamailio. Any failure stops what was started.
 */
export async function startCluster(options: ClusterOptions): Promise<TestCluster> {
  const run = randomBytes(4).toString('hex');
  const databaseUrl = withDatabase(TEST_DATABASE_SERVER, `callbin_cluster_${run}`);
  const adminKey = newAdminKey();
  const nodes: ClusterNode[] = [];
  let edge: EdgeProcess | undefined;
  let pool: pg.Pool | undefined;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await edge?.stop(2_000);
      await Promise.all(nodes.map((n) => n.stop(15_000)));
      await pool?.end();
      await dropDatabase(databaseUrl).catch(() => undefined);
    })();
    return closing;
  };
  try {
    await ensureDatabase(databaseUrl);
    for (let i = 0; i < options.nodes; i++) {
      const node = await startNode({
        nodeId: `node-${NODE_NAMES[i] ?? i}-${run}`,
        databaseUrl,
        natsUrl: TEST_NATS_URL,
        adminKey,
        ...rtpRange(),
        env: { CALLBIN_OVERLOAD_UTILISATION: '0', CALLBIN_DRAIN_SECONDS: '5', ...options.env },
      });
      nodes.push({ ...node, api: (method, path, body) => apiCall(node.apiUrl, adminKey, method, path, body) });
    }
    if (options.edge) edge = await startEdge({ nodes });
    pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    const sqlPool = pool;
    return {
      nodes,
      ...(edge ? { edge } : {}),
      databaseUrl,
      natsUrl: TEST_NATS_URL,
      adminKey,
      sql: async <T>(text: string, params: unknown[] = []) => (await sqlPool.query(text, params)).rows as T[],
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
