// `npm run cluster:local`: a callbin cluster on this machine (README.md "Cluster"): Kamailio from
// deploy/kamailio/ in front of two nodes on the local PostgreSQL and NATS. Ctrl-C stops everything.
//   CALLBIN_DATABASE_URL   default postgres://postgres@127.0.0.1:5432/callbin (created if missing)
//   CALLBIN_NATS_URL       default nats://127.0.0.1:4222
//   CALLBIN_DATA_DIR       default ./data/cluster (a folder per node, and the admin key)
//   CALLBIN_EDGE_PORT      the edge's SIP port, default 5060; the nodes take 5061 and 5062, their
//                          APIs 8081 and 8082, all on 127.0.0.1. Other CALLBIN_* settings apply to both nodes.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ensureDatabase,
  newAdminKey,
  startEdge,
  startNode,
  type EdgeProcess,
  type NodeProcess,
} from './cluster-launcher.ts';

const databaseUrl = process.env.CALLBIN_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/callbin';
const natsUrl = process.env.CALLBIN_NATS_URL || 'nats://127.0.0.1:4222';
const baseDir = resolve(process.env.CALLBIN_DATA_DIR || join('data', 'cluster'));
const edgePort = Number(process.env.CALLBIN_EDGE_PORT || 5060);

const NODES = [
  { nodeId: 'node-a', sipPort: 5061, httpPort: 8081, rtpPortMin: 20_000, rtpPortMax: 29_999 },
  { nodeId: 'node-b', sipPort: 5062, httpPort: 8082, rtpPortMin: 30_000, rtpPortMax: 39_999 },
];

/** The admin key every node accepts: CALLBIN_ADMIN_KEY, else the one kept (0600) in the data folder. */
function adminKey(): string {
  if (process.env.CALLBIN_ADMIN_KEY) return process.env.CALLBIN_ADMIN_KEY;
  const file = join(baseDir, 'admin-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = newAdminKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** The edge forwards every INVITE from its own address, so that address must be a provider (deploy/kamailio/README.md). */
async function ensureEdgeProvider(apiUrl: string, key: string, edge: EdgeProcess): Promise<void> {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const list = await fetch(`${apiUrl}/v1.0/providers?page_size=100`, { headers });
  const body = (await list.json()) as { result?: { hostname: string }[] };
  if (body.result?.some((p) => p.hostname === edge.host)) return;
  const created = await fetch(`${apiUrl}/v1.0/providers`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      hostname: edge.host,
      port: edge.port,
      transport: 'udp',
      name: 'sip edge',
      codecs: ['PCMU'],
    }),
  });
  if (!created.ok) throw new Error(`creating the edge's provider: HTTP ${created.status} ${await created.text()}`);
}

async function main(): Promise<void> {
  mkdirSync(baseDir, { recursive: true, mode: 0o700 });
  const key = adminKey();
  await ensureDatabase(databaseUrl);
  const nodes: NodeProcess[] = [];
  let edge: EdgeProcess | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the edge and the nodes…');
    await edge?.stop(5_000);
    await Promise.all(nodes.map((n) => n.stop(60_000)));
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    // One after another: the first start migrates the database and creates the project admin.
    for (const n of NODES) {
      const node = await startNode({
        ...n,
        databaseUrl,
        natsUrl,
        adminKey: key,
        dataDir: join(baseDir, n.nodeId),
        logLevel: process.env.CALLBIN_LOG_LEVEL || 'warn',
        detached: true,
        env: { CALLBIN_DRAIN_SECONDS: process.env.CALLBIN_DRAIN_SECONDS || '5' },
      });
      nodes.push(node);
      // A node that dies is reported and left dead (the edge stops sending to it; try it with kill -9).
      void node.waitExit().then((code) => {
        if (!stopping) console.error(`${node.nodeId} exited (${code}); the edge sends its calls to the other node`);
      });
    }
    edge = await startEdge({ port: edgePort, nodes, detached: true });
    await ensureEdgeProvider(nodes[0]!.apiUrl, key, edge);
  } catch (err) {
    console.error(`cluster:local: ${(err as Error).message}`);
    await stop(1);
    return;
  }
  console.log(
    [
      '',
      '  callbin cluster is running',
      `  SIP edge:  sip:${edge.host}:${edge.port}   (Kamailio, UDP and TCP; send calls and REGISTERs here)`,
      ...nodes.map((n) => `  ${n.nodeId}:    API ${n.apiUrl}/v1.0   SIP sip:127.0.0.1:${n.sipPort}`),
      `  store:     ${databaseUrl.replace(/\/\/[^@/]*@/, '//…@')}   bus: ${natsUrl}`,
      `  admin key: ${key}   (every node)`,
      '  Ctrl-C stops the edge and both nodes.',
      '',
    ].join('\n'),
  );
  // From now on the nodes' log lines (CALLBIN_LOG_LEVEL, default warn) and Kamailio's show here.
  for (const child of [...nodes, edge]) {
    const name = 'nodeId' in child ? child.nodeId : 'kamailio';
    child.follow((line) => line.trim() !== '' && console.log(`[${name}] ${line}`));
  }
}

await main();
