import { sql } from 'kysely';
import type { Kysely, RawBuilder } from 'kysely';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

/** The tables whose rows name the node that owns them (docs/cluster.md). */
const OWNED_TABLES = ['calls', 'activeflows', 'conferences', 'recordings', 'call_dialogs', 'process_heartbeats'];

/**
 * Cluster ownership (docs/cluster.md): every call, activeflow, conference and recording, every
 * stored dialog state and every heartbeat names the node that wrote it (`node_id`, '' for rows of
 * a store opened without one, such as every row written before this migration). The owner is
 * written once, at insert. The survivors of a dead node read its few live rows among many ended ones
 * through partial indexes, like start-up reconciliation does (0003, 0004, 0005).
 */
export async function up(db: Db): Promise<void> {
  for (const table of OWNED_TABLES) {
    await db.schema
      .alterTable(table)
      .addColumn('node_id', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
  }
  const live: [string, string, RawBuilder<boolean>][] = [
    ['calls_node_live_idx', 'calls', sql<boolean>`status <> 'hangup'`],
    ['activeflows_node_running_idx', 'activeflows', sql<boolean>`status = 'running'`],
    ['conferences_node_live_idx', 'conferences', sql<boolean>`status <> 'terminated'`],
    ['recordings_node_unfinished_idx', 'recordings', sql<boolean>`status <> 'ended'`],
  ];
  for (const [name, table, condition] of live) {
    await db.schema.createIndex(name).on(table).column('node_id').where(condition).execute();
  }
  // A heartbeat row of a process that stopped cleanly is not a live node (its last beat stays, the
  // end time of the calls it left). '' while it runs.
  await db.schema
    .alterTable('process_heartbeats')
    .addColumn('tm_stop', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema.createIndex('call_dialogs_node_idx').on('call_dialogs').column('node_id').execute();
  await db.schema.createIndex('process_heartbeats_node_idx').on('process_heartbeats').column('node_id').execute();
}

/** Drop everything `up` created. */
export async function down(db: Db): Promise<void> {
  for (const index of [
    'process_heartbeats_node_idx',
    'call_dialogs_node_idx',
    'recordings_node_unfinished_idx',
    'conferences_node_live_idx',
    'activeflows_node_running_idx',
    'calls_node_live_idx',
  ])
    await db.schema.dropIndex(index).execute();
  await db.schema.alterTable('process_heartbeats').dropColumn('tm_stop').execute();
  for (const table of OWNED_TABLES) await db.schema.alterTable(table).dropColumn('node_id').execute();
}
