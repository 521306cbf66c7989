import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Recording } from '../recordings/index.ts';
import type { Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import type { TxHandle } from './outbox-repo.ts';
import type { SqliteSession } from './sqlite-session.ts';
import { JsonDocumentTable } from './json-document-table.ts';
import type { NodeFilter } from './json-document-table.ts';
import type { Page, Scope } from './types.ts';

/** The Recording object exactly as the recordings domain defines it; stored whole in the `data` column. */
export type RecordingRecord = Recording;

/** A recording hidden by `DELETE /recordings/{id}`: the stored one plus when it was deleted. */
export type DeletedRecordingRecord = RecordingRecord & { tm_delete: string };

/** Equality filters of `GET /recordings`. */
export interface RecordingListFilter {
  reference_id?: string;
}

/** Options of `RecordingRepo.list`: one customer's recordings, newest first, by keyset pagination. */
export interface RecordingListOptions {
  customerId: string;
  pageSize: number;
  pageToken?: string;
  filter?: RecordingListFilter;
}

/** Recordings as stored: written only inside a transaction together with their events. */
export interface RecordingRepo {
  /** Insert or replace the recording's row inside `tx`; a deleted recording stays deleted. */
  upsert(tx: TxHandle, recording: RecordingRecord): Promise<void>;
  /** A recording that is not deleted (any status), within the scope. */
  get(id: string, scope?: Scope): Promise<RecordingRecord | undefined>;
  /** Not-deleted recordings of a customer, newest first (`tm_create` desc, `id` desc). */
  list(opts: RecordingListOptions): Promise<Page<RecordingRecord>>;
  /** Every stored recording whose status is not `ended`, deleted or not (crash repair), of one node with `nodeId`. */
  listUnfinished(filter?: NodeFilter): Promise<RecordingRecord[]>;
  /** The node that made the recording and holds its file while it runs (docs/cluster.md); undefined for none. */
  ownerOf(recordingId: string): Promise<string | undefined>;
  /** Hide a not-deleted recording inside `tx`; it with `tm_delete`, or undefined. */
  markDeleted(tx: TxHandle, id: string, scope?: Scope): Promise<DeletedRecordingRecord | undefined>;
}

// Written literally (not as a parameter) so the planner can use the table's partial index.
const UNFINISHED = sql<boolean>`status <> 'ended'`;

/** The RecordingRepo over the `recordings` table (both dialects). */
export class RecordingTable extends JsonDocumentTable<RecordingRecord> implements RecordingRepo {
  /** `nodeId` is stamped on every recording this store inserts (docs/cluster.md). */
  constructor(db: Kysely<Database>, clock: Clock, session?: SqliteSession, nodeId = '') {
    super(
      db,
      clock,
      {
        table: 'recordings',
        columns: (rec) => ({
          id: rec.id,
          customer_id: rec.customer_id,
          reference_type: rec.reference_type,
          reference_id: rec.reference_id,
          status: rec.status,
          tm_create: rec.tm_create,
          tm_update: rec.tm_update,
        }),
        filters: ['reference_id'],
        nodeId,
      },
      session,
    );
  }

  listUnfinished(filter?: NodeFilter): Promise<RecordingRecord[]> {
    return this.allWhere(UNFINISHED, filter);
  }
}
