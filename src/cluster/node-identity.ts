import { hostname } from 'node:os';
import { BusError, connectNatsBus, nodePingSubject, type Bus } from '../bus/index.ts';
import type { Config } from '../config/index.ts';
import { AppError, ConflictError, type Logger } from '../shared/index.ts';

/** How long the node-id clash check waits for another node's answer. */
const PING_DEADLINE_MS = 1_000;

/** A node id as the configuration allows it (`nodeId` in config/config.ts). */
const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9_:-]{0,62}$/;

/**
 * This node's id (docs/cluster.md): `CALLBIN_NODE_ID`, or `<host name>-<SIP port>` with every
 * character the id pattern refuses (`.` included) replaced by `-`.
 */
export function resolveNodeId(config: Pick<Config, 'nodeId' | 'sipPort'>, host: string = hostname()): string {
  if (config.nodeId !== '') return config.nodeId;
  let id = `${host}-${config.sipPort}`.replace(/[^A-Za-z0-9_:-]/g, '-');
  if (!/^[A-Za-z0-9]/.test(id)) id = `n${id}`;
  id = id.slice(0, 63);
  if (!NODE_ID.test(id)) throw new Error(`cannot derive a node id from ${JSON.stringify(host)}`);
  return id;
}

/**
 * Connects this node to the cluster's NATS (docs/cluster.md "Bus"); a server that does not answer
 * is `NATS_UNREACHABLE`, naming the URL, within `timeoutMs`.
 */
export async function connectClusterBus(
  natsUrl: string,
  nodeId: string,
  logger: Logger,
  timeoutMs?: number,
): Promise<Bus> {
  try {
    return await connectNatsBus(natsUrl, {
      name: `callbin ${nodeId}`,
      logger,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
  } catch (err) {
    if (err instanceof BusError && err.code === 'UNREACHABLE')
      throw new AppError('NATS_UNREACHABLE', err.message, { cause: err });
    throw err;
  }
}

/** What a node answers on its ping subject. */
export interface NodePingAnswer {
  nodeId: string;
  apiUrl: string;
  sipAddress: string;
  /** RFC 3339. */
  startedAt: string;
}

/**
 * Refuses to start a second node with an id a running node answers to (docs/cluster.md): an
 * answer on `callbin.node.<id>.ping` within 1 s is `NODE_ID_IN_USE`; no responder, or none in
 * time, means the id is free.
 */
export async function assertNodeIdFree(bus: Bus, nodeId: string): Promise<void> {
  let answer: string;
  try {
    answer = await bus.request(nodePingSubject(nodeId), '', PING_DEADLINE_MS);
  } catch (err) {
    if (err instanceof BusError && (err.code === 'NO_RESPONDERS' || err.code === 'TIMEOUT')) return;
    throw err;
  }
  let where = '';
  try {
    const other = JSON.parse(answer) as Partial<NodePingAnswer>;
    if (typeof other.apiUrl === 'string') where = ` (API ${other.apiUrl}, started ${String(other.startedAt)})`;
  } catch {
    // An answer is a clash whatever it holds.
  }
  throw new ConflictError(
    'NODE_ID_IN_USE',
    `another running node has the node id ${nodeId}${where}; give this node another CALLBIN_NODE_ID`,
  );
}

/** Answers `callbin.node.<nodeId>.ping` with this node's {@link NodePingAnswer}; returns the stop function. */
export function serveNodePing(bus: Bus, nodeId: string, info: Omit<NodePingAnswer, 'nodeId'>): () => void {
  const answer = JSON.stringify({ nodeId, ...info } satisfies NodePingAnswer);
  return bus.serve(nodePingSubject(nodeId), async () => answer);
}
