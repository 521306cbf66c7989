import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Conference, Conferencecall } from '../conferences/index.ts';
import type { Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import type { TxHandle } from './outbox-repo.ts';
import type { SqliteSession } from './sqlite-session.ts';
import { JsonDocumentTable, type Deleted, type JsonListOptions, type NodeFilter } from './json-document-table.ts';
import type { Page, Scope } from './types.ts';

/** The Conference object as the conferences domain defines it; stored whole in `data`. */
export type ConferenceRecord = Conference;

/** A conferencecall as the conferences domain defines it; stored whole in `data`. */
export type ConferencecallRecord = Conferencecall;

/** Options of a conference or conferencecall list. */
export type ConferenceListOptions = JsonListOptions;

/** One JSON-document table: written only inside a transaction together with its events. */
export interface JsonDocumentRepo<T> {
  /** Insert or replace the row inside `tx`; a deleted row stays deleted. */
  upsert(tx: TxHandle, value: T): Promise<void>;
  /** A row that is not deleted, within the scope. */
  get(id: string, scope?: Scope): Promise<T | undefined>;
  /** Not-deleted rows of a customer, newest first (`tm_create` desc, `id` desc); unknown filter keys are refused. */
  list(opts: ConferenceListOptions): Promise<Page<T>>;
  /** Hide a not-deleted row inside `tx`; it with `tm_delete`, or undefined. */
  markDeleted(tx: TxHandle, id: string, scope?: Scope): Promise<Deleted<T> | undefined>;
}

/** Conferences as stored (filters: `status`, `type`). */
export interface ConferenceRepo extends JsonDocumentRepo<ConferenceRecord> {
  /** Every stored conference not `terminated`, deleted or not (reconciliation), of one node with `nodeId`. */
  listLive(filter?: NodeFilter): Promise<ConferenceRecord[]>;
  /** The node that created the conference and holds its room (docs/cluster.md); undefined for none. */
  ownerOf(conferenceId: string): Promise<string | undefined>;
}

/** Conferencecalls as stored (filters: `status`, `conference_id`, `reference_id`). */
export type ConferencecallRepo = JsonDocumentRepo<ConferencecallRecord>;

// Written literally (not as a parameter) so the planner can use the table's partial index.
const LIVE = sql<boolean>`status <> 'terminated'`;

class ConferenceTable extends JsonDocumentTable<ConferenceRecord> implements ConferenceRepo {
  listLive(filter?: NodeFilter): Promise<ConferenceRecord[]> {
    return this.allWhere(LIVE, filter);
  }
}

/** The ConferenceRepo over the `conferences` table; `nodeId` is stamped on every conference it inserts. */
export function conferenceTable(
  db: Kysely<Database>,
  clock: Clock,
  session?: SqliteSession,
  nodeId = '',
): ConferenceRepo {
  return new ConferenceTable(
    db,
    clock,
    {
      table: 'conferences',
      columns: (c) => ({
        id: c.id,
        customer_id: c.customer_id,
        type: c.type,
        status: c.status,
        tm_create: c.tm_create,
        tm_update: c.tm_update,
      }),
      filters: ['status', 'type'],
      nodeId,
    },
    session,
  );
}

/** The ConferencecallRepo over the `conferencecalls` table. */
export function conferencecallTable(db: Kysely<Database>, clock: Clock, session?: SqliteSession): ConferencecallRepo {
  return new JsonDocumentTable<ConferencecallRecord>(
    db,
    clock,
    {
      table: 'conferencecalls',
      columns: (c) => ({
        id: c.id,
        customer_id: c.customer_id,
        conference_id: c.conference_id,
        reference_id: c.reference_id,
        status: c.status,
        tm_create: c.tm_create,
        tm_update: c.tm_update,
      }),
      filters: ['status', 'conference_id', 'reference_id'],
    },
    session,
  );
}
