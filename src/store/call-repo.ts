import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Call } from '../calls/index.ts';
import type { Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import type { TxHandle } from './outbox-repo.ts';
import type { SqliteSession } from './sqlite-session.ts';
import { JsonDocumentTable } from './json-document-table.ts';
import type { NodeFilter } from './json-document-table.ts';
import type { Page, Scope } from './types.ts';

/** The Call object exactly as the calls domain defines it; stored whole in the `data` column. */
export type CallRecord = Call;

/** A call hidden from lists by `DELETE /calls/{id}`: the stored call plus when it was deleted. */
export type DeletedCallRecord = CallRecord & { tm_delete: string };

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

/** The stored state of one confirmed SIP dialog of a call leg (the SIP layer owns its shape). */
export interface CallDialogRecord {
  leg_id: string;
  call_id: string;
  dialog: unknown;
}

/** Calls as stored: written only inside a transaction together with their events. */
export interface CallRepo {
  /** Insert or replace the dialog state of leg `legId` (crash recovery: what a BYE needs). */
  saveDialog(record: CallDialogRecord, nowIso: string): Promise<void>;
  /** Forget the dialog state of leg `legId` (its dialog ended). */
  removeDialog(legId: string): Promise<void>;
  /**
   * Every stored dialog state: at start-up, the dialogs a previous process left open; with
   * `nodeId`, only those that node stored (a dead node's, docs/cluster.md).
   */
  listDialogs(filter?: NodeFilter): Promise<CallDialogRecord[]>;
  /** Insert or replace the call's row inside `tx`; a deleted call stays deleted. */
  upsert(tx: TxHandle, call: CallRecord): Promise<void>;
  /** A call that is not deleted (any status), within the scope. */
  get(id: string, scope?: Scope): Promise<CallRecord | undefined>;
  /** Not-deleted calls of a customer, newest first (`tm_create` desc, `id` desc). */
  list(opts: CallListOptions): Promise<Page<CallRecord>>;
  /** Every stored call whose status is not `hangup` (crash reconciliation), of one node with `nodeId`. */
  listLive(filter?: NodeFilter): Promise<CallRecord[]>;
  /** The node that created the call and holds its dialog and media (docs/cluster.md); undefined for no such call. */
  ownerOf(callId: string): Promise<string | undefined>;
  /** Hide a not-deleted call from lists inside `tx`; the call with `tm_delete`, or undefined. */
  markDeleted(tx: TxHandle, id: string, scope?: Scope): Promise<DeletedCallRecord | undefined>;
}

// Written literally (not as a parameter) so the planner can use the table's partial index.
const LIVE = sql<boolean>`status <> 'hangup'`;
const UPSERT_DIALOG =
  'insert into call_dialogs (leg_id, call_id, dialog, tm_update, node_id) values (?, ?, ?, ?, ?) on conflict (leg_id) do update set dialog = excluded.dialog, tm_update = excluded.tm_update';
const DELETE_DIALOG = 'delete from call_dialogs where leg_id = ?';

/** The CallRepo over the `calls` table (both dialects). */
export class CallTable extends JsonDocumentTable<CallRecord> implements CallRepo {
  // `call_dialogs` (migration 0009) is not in the Database type of migration 0001.
  readonly #dialogs: Kysely<any>;
  readonly #session: SqliteSession | undefined;
  readonly #nodeId: string;

  /** `nodeId` is stamped on every call and dialog state this store inserts (docs/cluster.md). */
  constructor(db: Kysely<Database>, clock: Clock, session?: SqliteSession, nodeId = '') {
    super(
      db,
      clock,
      {
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
        nodeId,
      },
      session,
    );
    this.#dialogs = db as unknown as Kysely<any>;
    this.#session = session;
    this.#nodeId = nodeId;
  }

  listLive(filter?: NodeFilter): Promise<CallRecord[]> {
    return this.allWhere(LIVE, filter);
  }

  async saveDialog(record: CallDialogRecord, nowIso: string): Promise<void> {
    const dialog = JSON.stringify(record.dialog);
    if (this.#session) {
      // A grouped transaction: one answered call must not force a commit of its own.
      const session = this.#session;
      await session.transaction(() => {
        session.statement(UPSERT_DIALOG).run(record.leg_id, record.call_id, dialog, nowIso, this.#nodeId);
      });
      return;
    }
    await this.#dialogs
      .insertInto('call_dialogs')
      .values({ leg_id: record.leg_id, call_id: record.call_id, dialog, tm_update: nowIso, node_id: this.#nodeId })
      .onConflict((oc) => oc.column('leg_id').doUpdateSet({ dialog, tm_update: nowIso }))
      .execute();
  }

  async removeDialog(legId: string): Promise<void> {
    if (this.#session) {
      const session = this.#session;
      await session.transaction(() => {
        session.statement(DELETE_DIALOG).run(legId);
      });
      return;
    }
    await this.#dialogs.deleteFrom('call_dialogs').where('leg_id', '=', legId).execute();
  }

  async listDialogs(filter: NodeFilter = {}): Promise<CallDialogRecord[]> {
    let query = this.#dialogs.selectFrom('call_dialogs').select(['leg_id', 'call_id', 'dialog']);
    if (filter.nodeId !== undefined) query = query.where('node_id', '=', filter.nodeId);
    const rows = (await query.execute()) as {
      leg_id: string;
      call_id: string;
      dialog: string;
    }[];
    return rows.map((r) => ({ leg_id: r.leg_id, call_id: r.call_id, dialog: JSON.parse(r.dialog) as unknown }));
  }
}
