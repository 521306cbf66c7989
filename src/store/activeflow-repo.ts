import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Activeflow } from '../flows/index.ts';
import type { Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import type { TxHandle } from './outbox-repo.ts';
import type { SqliteSession } from './sqlite-session.ts';
import { JsonDocumentTable } from './json-document-table.ts';
import type { NodeFilter } from './json-document-table.ts';
import type { Page, Scope } from './types.ts';

/** The Activeflow object exactly as the flows domain defines it; stored whole in the `data` column. */
export type ActiveflowRecord = Activeflow;

/** An activeflow hidden from lists by `DELETE /activeflows/{id}`: the stored one plus when it was deleted. */
export type DeletedActiveflowRecord = ActiveflowRecord & { tm_delete: string };

/** Equality filters of `GET /activeflows`. */
export interface ActiveflowListFilter {
  status?: string;
  reference_id?: string;
}

/** Options of `ActiveflowRepo.list`: one customer's activeflows, newest first, by keyset pagination. */
export interface ActiveflowListOptions {
  customerId: string;
  pageSize: number;
  pageToken?: string;
  filter?: ActiveflowListFilter;
}

/** Activeflows as stored: written only inside a transaction together with their events. */
export interface ActiveflowRepo {
  /** Insert or replace the activeflow's row inside `tx`; a deleted activeflow stays deleted. */
  upsert(tx: TxHandle, activeflow: ActiveflowRecord): Promise<void>;
  /** An activeflow that is not deleted (any status), within the scope. */
  get(id: string, scope?: Scope): Promise<ActiveflowRecord | undefined>;
  /** Not-deleted activeflows of a customer, newest first (`tm_create` desc, `id` desc). */
  list(opts: ActiveflowListOptions): Promise<Page<ActiveflowRecord>>;
  /**
   * Every stored activeflow whose status is `running`, deleted or not (crash reconciliation), of
   * one node with `nodeId`.
   */
  listRunning(filter?: NodeFilter): Promise<ActiveflowRecord[]>;
  /** The node that created the activeflow and runs it (docs/cluster.md); undefined for no such activeflow. */
  ownerOf(activeflowId: string): Promise<string | undefined>;
  /** Hide a not-deleted activeflow from get and lists inside `tx`; it with `tm_delete`, or undefined. */
  markDeleted(tx: TxHandle, id: string, scope?: Scope): Promise<DeletedActiveflowRecord | undefined>;
}

// Written literally (not as a parameter) so the planner can use the table's partial index.
const RUNNING = sql<boolean>`status = 'running'`;

/** The ActiveflowRepo over the `activeflows` table (both dialects). */
export class ActiveflowTable extends JsonDocumentTable<ActiveflowRecord> implements ActiveflowRepo {
  /** `nodeId` is stamped on every activeflow this store inserts (docs/cluster.md). */
  constructor(db: Kysely<Database>, clock: Clock, session?: SqliteSession, nodeId = '') {
    super(
      db,
      clock,
      {
        table: 'activeflows',
        columns: (af) => ({
          id: af.id,
          customer_id: af.customer_id,
          flow_id: af.flow_id,
          status: af.status,
          reference_type: af.reference_type,
          reference_id: af.reference_id,
          tm_create: af.tm_create,
          tm_update: af.tm_update,
        }),
        filters: ['status', 'reference_id'],
        nodeId,
      },
      session,
    );
  }

  listRunning(filter?: NodeFilter): Promise<ActiveflowRecord[]> {
    return this.allWhere(RUNNING, filter);
  }
}
