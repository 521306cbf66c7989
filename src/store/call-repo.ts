import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Call } from '../calls/index.ts';
import type { Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import type { TxHandle } from './outbox-repo.ts';
import type { SqliteSession } from './sqlite-session.ts';
import { JsonDocumentTable } from './json-document-table.ts';
import type { Page, Scope } from './types.ts';

/** The Call object exactly as the calls domain defines it; stored whole in the `data` column. */
export type CallRecord = Call;

/** A call hidden from lists by `DELETE /calls/{id}`: the stored call plus when it was deleted. */
export type DeletedCallRecord = CallRecord & { tm_delete: string };

/** The row of `calls`: the columns lists filter and order on, and the JSON document. */
export interface StoredCall {
  id: string;
  customer_id: string;
  status: string;
  direction: string;
  master_call_id: string;
  tm_create: string;
  tm_update: string;
  tm_delete: string | null;
  data: string;
}

/** Equality filters of `GET /calls`. */
export interface CallListFilter {
  status?: string;
  direction?: string;
}

/** Options of `CallRepo.list`: one customer's calls, newest first, by keyset pagination. */
export interface CallListOptions {
  customerId: string;
  pageSize: number;
  pageToken?: string;
  filter?: CallListFilter;
}

/** Calls as stored: written only inside a transaction together with their events. */
export interface CallRepo {
  /** Insert or replace the call's row inside `tx`; a deleted call stays deleted. */
  upsert(tx: TxHandle, call: CallRecord): Promise<void>;
  /** A call that is not deleted (any status), within the scope. */
  get(id: string, scope?: Scope): Promise<CallRecord | undefined>;
  /** Not-deleted calls of a customer, newest first (`tm_create` desc, `id` desc). */
  list(opts: CallListOptions): Promise<Page<CallRecord>>;
  /** Every stored call whose status is not `hangup` (crash reconciliation). */
  listLive(): Promise<CallRecord[]>;
  /** Hide a not-deleted call from lists inside `tx`; the call with `tm_delete`, or undefined. */
  markDeleted(tx: TxHandle, id: string, scope?: Scope): Promise<DeletedCallRecord | undefined>;
}

// Written literally (not as a parameter) so the planner can use the table's partial index.
const LIVE = sql<boolean>`status <> 'hangup'`;

/** The CallRepo over the `calls` table (both dialects). */
export class CallTable extends JsonDocumentTable<CallRecord> implements CallRepo {
  constructor(db: Kysely<Database>, clock: Clock, session?: SqliteSession) {
    super(db, clock, {
      table: 'calls',
      columns: (call) => ({
        id: call.id,
        customer_id: call.customer_id,
        status: call.status,
        direction: call.direction,
        master_call_id: call.master_call_id,
        tm_create: call.tm_create,
        tm_update: call.tm_update,
      }),
      filters: ['status', 'direction'],
    }, session);
  }

  listLive(): Promise<CallRecord[]> {
    return this.allWhere(LIVE);
  }
}
