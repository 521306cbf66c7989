import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AppError, isoTime, newId, silentLogger } from '../../../shared/index.ts';
import type { Store } from '../../open-store.ts';
import {
  CLUSTER_HEARTBEAT_INTERVAL_MS,
  CLUSTER_HEARTBEAT_STALE_MS,
  HEARTBEAT_STALE_MS,
  heartbeatTiming,
  startHeartbeat,
} from '../../process-repo.ts';
import type { ContractContext } from './contract-context.ts';

const HOUR_MS = 3_600_000;

/**
 * A fresh time base: the clock moves an hour on, so every heartbeat earlier tests left is stale.
 * Returns the ISO time `ms` after it.
 */
function timeBase(ctx: ContractContext): (ms: number) => string {
  ctx.clock.advance(HOUR_MS);
  const t0 = ctx.clock.now();
  return (ms) => isoTime(t0 + ms);
}

function nodeName(label: string): string {
  return `${label}-${newId().slice(0, 8)}`;
}

/** Poll `condition` (an asynchronous write in flight) for up to 5 s. */
async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`not seen: ${what}`);
}

function isInUse(err: unknown): boolean {
  assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
  assert.equal(err.code, 'DATABASE_IN_USE');
  assert.match(err.message, /another callbin node uses this database/);
  assert.match(err.message, /CALLBIN_NATS_URL/);
  return true;
}

/** Heartbeats and nodes (docs/architecture.md "Store", docs/cluster.md): who is alive, who is dead, who reconciles. */
export function processesContract(ctx: ContractContext): void {
  const opened: Store[] = [];
  const open = async (nodeId: string): Promise<Store> => {
    const store = await ctx.openAnother({ nodeId });
    opened.push(store);
    return store;
  };
  const closeAll = async () => {
    for (const s of opened.splice(0)) await s.close();
  };

  it('processes: register forgets the predecessor and resolves with its last beat; a stop is its last beat', async () => {
    const at = timeBase(ctx);
    const node = nodeName('restart');
    try {
      const first = await open(node);
      await first.processes.register(at(0));
      await first.processes.beat(at(3_000));
      await first.processes.stop(at(4_000));
      const second = await open(node);
      await assert.rejects(second.processes.register(at(5_000), { nodeId: 'not-this-node' }));
      assert.equal(await second.processes.register(at(5_000)), at(4_000));
      assert.equal(await second.processes.lastBeatOf(node), at(5_000));
      assert.deepEqual(second.processes.timing, heartbeatTiming(false));
      assert.equal(await second.processes.aliveSince(at(5_000), at(6_000)), true);
      assert.equal(await second.processes.aliveSince(at(4_999), at(6_000)), false);
    } finally {
      await closeAll();
    }
  });

  it('processes: startHeartbeat beats at the interval register chose; its stop leaves the row stopped', async () => {
    const at = timeBase(ctx);
    const node = nodeName('beat');
    try {
      const store = await open(node);
      await store.processes.register(at(0), { cluster: true });
      // SQLite is one node whatever is asked; PostgreSQL with NATS beats every 2 s.
      const interval = ctx.dialect === 'sqlite' ? heartbeatTiming(false).intervalMs : CLUSTER_HEARTBEAT_INTERVAL_MS;
      assert.equal(store.processes.timing.intervalMs, interval);
      const stop = startHeartbeat(store.processes, ctx.clock, silentLogger);
      ctx.clock.advance(interval - 1);
      assert.equal(await store.processes.lastBeatOf(node), at(0), 'no beat before the interval');
      ctx.clock.advance(1);
      await waitFor(async () => (await store.processes.lastBeatOf(node)) === at(interval), 'the beat at the interval');
      ctx.clock.advance(100);
      await stop();
      assert.equal(await store.processes.lastBeatOf(node), at(interval + 100), 'the stop is the last beat');
      if (ctx.dialect === 'postgres') {
        const other = await open(nodeName('watcher'));
        await other.processes.register(at(interval + 100), { cluster: true });
        const dead = await other.processes.deadNodes(at(interval + 100), CLUSTER_HEARTBEAT_STALE_MS);
        assert.ok(dead.includes(node), 'a stopped node is gone at once');
      }
    } finally {
      await closeAll();
    }
  });

  it('processes: SQLite is one process: register forgets every other row, cluster asked or not', async (t) => {
    if (ctx.dialect === 'postgres') return t.skip('PostgreSQL nodes share the table');
    const at = timeBase(ctx);
    const nodeA = nodeName('file-a');
    try {
      const a = await open(nodeA);
      await a.processes.register(at(0));
      const b = await open(nodeName('file-b'));
      assert.equal(await b.processes.register(at(1_000), { cluster: true }), at(0));
      assert.deepEqual(b.processes.timing, heartbeatTiming(false));
      assert.equal(await b.processes.lastBeatOf(nodeA), undefined);
    } finally {
      await closeAll();
    }
  });

  it('processes: alone on PostgreSQL, another live node is DATABASE_IN_USE; a previous incarnation, a stale or a stopped node is not', async (t) => {
    if (ctx.dialect === 'sqlite') return t.skip('SQLite is one node: the data directory lock refuses a second one');
    const at = timeBase(ctx);
    const [nodeA, nodeB, nodeC] = [nodeName('single-a'), nodeName('single-b'), nodeName('single-c')];
    try {
      await (await open(nodeA)).processes.register(at(0));
      const b = await open(nodeB);
      await assert.rejects(b.processes.register(at(1_000)), isInUse);
      assert.equal(await b.processes.lastBeatOf(nodeB), undefined, 'the refused node left no row');
      // The same node id is this node's previous incarnation (a restart): it enters.
      assert.equal(await (await open(nodeA)).processes.register(at(2_000)), at(0));
      // Silent for longer than the stale time, node A is gone: B enters and forgets it.
      const b2 = await open(nodeB);
      assert.equal(await b2.processes.register(at(2_001 + HEARTBEAT_STALE_MS)), at(2_000));
      await b2.processes.stop(at(20_000));
      // Stopped cleanly, B is not in the way a moment later.
      const c = await open(nodeC);
      await c.processes.register(at(20_001));
      // A cluster node refuses a node alone too; a row without node id (an older version) never does.
      const clustered = await open(nodeName('cluster'));
      await clustered.processes.register(at(40_000), { cluster: true });
      await assert.rejects((await open(nodeName('single-d'))).processes.register(at(40_001)), isInUse);
      const older = await open('');
      await older.processes.register(at(HOUR_MS / 2), { cluster: true });
      await (await open(nodeName('single-e'))).processes.register(at(HOUR_MS / 2 + 1));
    } finally {
      await closeAll();
    }
  });

  it('processes: in a cluster every node enters; deadNodes lists the silent and the stopped nodes, never itself', async (t) => {
    if (ctx.dialect === 'sqlite') return t.skip('SQLite is one node');
    const at = timeBase(ctx);
    const [nodeX, nodeY, nodeZ] = [nodeName('x'), nodeName('y'), nodeName('z')];
    const stale = CLUSTER_HEARTBEAT_STALE_MS;
    try {
      const [x, y, z] = [await open(nodeX), await open(nodeY), await open(nodeZ)];
      for (const s of [x, y, z]) await s.processes.register(at(0), { cluster: true });
      assert.deepEqual(x.processes.timing, { intervalMs: CLUSTER_HEARTBEAT_INTERVAL_MS, staleMs: stale });
      const dead = (s: Store, ms: number) => s.processes.deadNodes(at(ms), stale);
      const early = await dead(x, 5_000);
      assert.ok(![nodeX, nodeY, nodeZ].some((n) => early.includes(n)), `none dead yet: ${early.join(',')}`);
      await y.processes.beat(at(9_000));
      await z.processes.stop(at(9_000));
      const later = await dead(x, 15_000);
      assert.ok(later.includes(nodeZ) && !later.includes(nodeY) && !later.includes(nodeX), later.join(','));
      const last = await dead(x, 20_000);
      assert.ok(last.includes(nodeZ) && last.includes(nodeY) && !last.includes(nodeX), last.join(','));
      assert.ok((await dead(y, 20_000)).includes(nodeX));
    } finally {
      await closeAll();
    }
  });

  it('processes: survivors claiming one dead node at once: exactly one wins, once; lastBeatOf is its last beat', async (t) => {
    if (ctx.dialect === 'sqlite') return t.skip('SQLite is one node');
    const at = timeBase(ctx);
    const stale = CLUSTER_HEARTBEAT_STALE_MS;
    try {
      const survivors = [await open(nodeName('survivor-1')), await open(nodeName('survivor-2'))];
      for (const s of survivors) await s.processes.register(at(0), { cluster: true });
      for (let round = 0; round < 5; round++) {
        const node = nodeName(`dead-${round}`);
        const dying = await open(node);
        await dying.processes.register(at(round), { cluster: true });
        await dying.processes.beat(at(1_000 + round));
        const when = at(1_000 + round + stale + 1);
        assert.equal(await survivors[0]!.processes.lastBeatOf(node), at(1_000 + round));
        assert.ok((await survivors[1]!.processes.deadNodes(when, stale)).includes(node));
        const wins = await Promise.all(survivors.map((s) => s.processes.claimDeadNode(node, when, stale)));
        assert.deepEqual(
          wins.filter((w) => w),
          [true],
          `round ${round}: ${wins.join(',')}`,
        );
        assert.equal(await survivors[0]!.processes.claimDeadNode(node, when, stale), false);
        assert.equal(await survivors[1]!.processes.lastBeatOf(node), undefined);
        assert.ok(!(await survivors[0]!.processes.deadNodes(when, stale)).includes(node));
      }
    } finally {
      await closeAll();
    }
  });

  it('processes: a live node cannot be claimed; a restarted node takes its own rows back first', async (t) => {
    if (ctx.dialect === 'sqlite') return t.skip('SQLite is one node');
    const at = timeBase(ctx);
    const stale = CLUSTER_HEARTBEAT_STALE_MS;
    const node = nodeName('phoenix');
    try {
      const survivor = await open(nodeName('survivor'));
      await survivor.processes.register(at(0), { cluster: true });
      await (await open(node)).processes.register(at(0), { cluster: true });
      assert.equal(await survivor.processes.claimDeadNode(node, at(5_000), stale), false, 'alive');
      // Dead for a while, then back before any survivor claimed it: its register takes the old rows.
      const back = await open(node);
      assert.equal(await back.processes.register(at(30_000), { cluster: true }), at(0));
      assert.equal(await survivor.processes.claimDeadNode(node, at(30_001), stale), false, 'back');
      assert.ok(!(await survivor.processes.deadNodes(at(30_001), stale)).includes(node));
    } finally {
      await closeAll();
    }
  });
}
