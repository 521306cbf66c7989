import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { newAdminKey, startEdge, startNode, type NodeProcess } from '../../scripts/cluster-launcher.ts';
import { freePort } from '../../test/support/sipp.ts';
import { createBenchDatabase } from '../calls/bench-postgres.ts';
import type { BenchDatabase } from '../calls/bench-postgres.ts';
import { BENCH_NUMBERS, configureCallbin } from '../calls/callbin-server.ts';
import type { CallbinServer } from '../calls/callbin-server.ts';
import type { CpuPin } from '../calls/sipp-run.ts';
import { startBenchNats } from './nats-server.ts';
import type { BenchNats } from './nats-server.ts';
import { PartsProbe, treePart } from './parts-probe.ts';
import type { CpuPart } from './parts-probe.ts';

/** The three set-ups of the cluster benchmark, measured one after another in one run. */
export type SetupKey = 'sqlite' | 'postgres' | 'cluster';

export const SETUP_LABELS: Readonly<Record<SetupKey, string>> = {
  sqlite: '(a) 1 node, SQLite',
  postgres: '(b) 1 node, PostgreSQL',
  cluster: '(c) 2 nodes, PG+NATS, Kamailio',
};

/** One set-up as the scenarios see it. */
export interface BenchSetup {
  key: SetupKey;
  label: string;
  /** Where sipp sends its INVITEs (the node, or the Kamailio edge). */
  target: { host: string; port: number };
  /** sipp's source port (trusted as a provider). */
  callerPort: number;
  /** The number bound to the `[answer, hangup]` flow. */
  number: string;
  probe: PartsProbe;
  /** The run's own database (PostgreSQL set-ups). */
  database?: BenchDatabase;
  /** The run's own NATS server (cluster set-up). */
  nats?: BenchNats;
  /** Stops Kamailio and the nodes (their PostgreSQL backends flush their statistics as they exit). */
  stopServers(): Promise<void>;
  /** Stops everything and drops the database. */
  close(): Promise<void>;
}

/** What starting a set-up needs. */
export interface SetupOptions {
  /** A URL of any database on the PostgreSQL server the run creates its databases on. */
  postgresAdminUrl: string;
  webhookUrl: string;
  /** Core of the servers (undefined: not pinned). */
  serverPin: CpuPin;
}

// Each node its own RTP range (the scenario offers no media, but every answer allocates a port pair).
const RTP_RANGES = [
  { rtpPortMin: 40_000, rtpPortMax: 42_999 },
  { rtpPortMin: 43_000, rtpPortMax: 45_999 },
  { rtpPortMin: 46_000, rtpPortMax: 49_999 },
] as const;

/** The PostgreSQL backends serving `database` (pg_stat_activity), looked up at every sample. */
function pgBackendsPart(admin: pg.Client, database: string): CpuPart {
  return {
    name: 'PostgreSQL backends',
    pids: async () =>
      (await admin.query('select pid from pg_stat_activity where datname = $1', [database])).rows.map((r) =>
        Number(r.pid),
      ),
  };
}

/** Calls a node's API with the admin key, as bench/calls' configure step expects. */
function asCallbinServer(node: NodeProcess, key: string): CallbinServer {
  const api = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${node.apiUrl}/v1.0${path}`, {
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
  return { pid: node.pid, apiUrl: node.apiUrl, sipPort: node.sipPort, key, api, stop: () => node.stop() };
}

/**
 * Starts one set-up on free ports, configured like bench/calls (webhooks to `webhookUrl`, the
 * caller as a provider, one number per flow): (a) `callbin start` on its embedded SQLite; (b) the
 * same on a fresh PostgreSQL database; (c) two nodes on a fresh database and the run's own NATS,
 * behind Kamailio from deploy/kamailio/ (its address is a provider, deploy/kamailio/README.md).
 */
export async function startSetup(key: SetupKey, o: SetupOptions): Promise<BenchSetup> {
  const run = randomBytes(3).toString('hex');
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (list: (() => Promise<void>)[]): Promise<void> => {
    for (const stop of list.splice(0).reverse()) await stop().catch(() => undefined);
  };
  const serverStops: (() => Promise<void>)[] = [];
  try {
    const adminKey = newAdminKey();
    const database = key === 'sqlite' ? undefined : await createBenchDatabase(o.postgresAdminUrl);
    if (database) stops.push(() => database.drop());
    const nats = key === 'cluster' ? await startBenchNats(o.serverPin) : undefined;
    if (nats) stops.push(() => nats.stop());
    const nodes: NodeProcess[] = [];
    // One after another: the first start migrates the database and creates the project admin.
    for (let i = 0; i < (key === 'cluster' ? 2 : 1); i++) {
      const node = await startNode({
        nodeId: `bench-${key}-${'ab'[i]}-${run}`,
        databaseUrl: database?.url ?? '',
        natsUrl: nats?.url ?? '',
        adminKey,
        ...RTP_RANGES[key === 'cluster' ? 1 + i : key === 'postgres' ? 1 : 0]!,
        env: {
          CALLBIN_PUBLIC_IP: '127.0.0.1',
          CALLBIN_RATE_LIMIT_PER_SEC: '1000000',
          CALLBIN_RATE_LIMIT_BURST: '1000000',
          CALLBIN_DRAIN_SECONDS: '2',
        },
      });
      nodes.push(node);
      serverStops.push(() => node.stop(15_000));
    }
    const edge = key === 'cluster' ? await startEdge({ nodes }) : undefined;
    if (edge) serverStops.push(() => edge.stop(5_000));
    const callerPort = await freePort('udp');
    const first = asCallbinServer(nodes[0]!, adminKey);
    await configureCallbin(first, { webhookUrl: o.webhookUrl, callerPort, uasPort: await freePort('udp') });
    if (edge) {
      await first.api('POST', '/providers', {
        hostname: edge.host,
        port: edge.port,
        transport: 'udp',
        name: 'sip edge',
        codecs: ['PCMU'],
      });
    }
    let admin: pg.Client | undefined;
    if (database) {
      const client = new pg.Client({ connectionString: o.postgresAdminUrl, connectionTimeoutMillis: 5000 });
      await client.connect();
      admin = client;
      stops.push(() => client.end());
    }
    const parts: CpuPart[] = [
      treePart(
        key === 'cluster' ? 'nodes' : 'node',
        nodes.map((n) => n.pid),
      ),
    ];
    if (admin && database) parts.push(pgBackendsPart(admin, database.name));
    if (nats) parts.push(treePart('NATS', [nats.pid]));
    if (edge) parts.push(treePart('Kamailio', [edge.pid]));
    const probe = new PartsProbe(parts, o.serverPin);
    await probe.sample();
    const stopServers = () => stopAll(serverStops);
    stops.push(stopServers);
    return {
      key,
      label: SETUP_LABELS[key],
      target: edge ? { host: edge.host, port: edge.port } : { host: '127.0.0.1', port: nodes[0]!.sipPort },
      callerPort,
      number: BENCH_NUMBERS.answerHangup,
      probe,
      ...(database ? { database } : {}),
      ...(nats ? { nats } : {}),
      stopServers,
      close: () => stopAll(stops),
    };
  } catch (err) {
    await stopAll(serverStops);
    await stopAll(stops);
    throw err;
  }
}
