import type pg from 'pg';
import { settleGroup, type GroupMember } from './group-member.ts';

/**
 * Transactions committed together at most. Each member's writes take a subtransaction id; past 64
 * in one transaction PostgreSQL's snapshots of every session get slower (subtransaction overflow).
 */
const MAX_GROUP = 48;
/**
 * How long a group may stay open while transactions keep coming; then it commits before the next
 * one starts, so its first member does not wait behind a stream of later ones.
 */
export const MAX_GROUP_MS = 4;

/** A row as pg returns it. */
export type PgRow = Record<string, unknown>;

/** The result of one statement on the held connection. */
export interface PgResult {
  rows: PgRow[];
  rowCount: number | null;
  command: string;
}

/** What a grouped transaction's `fn` gets. */
export interface PgTx {
  /** Run `fn` once the transaction has committed (never on rollback). */
  afterCommit(cb: () => void): void;
  /** The connection the transaction runs on (see {@link PgLane.query}). */
  readonly lane: PgLane;
}

/** One logical transaction of an open group, settled when the group commits. */
type Member = GroupMember;

const statementNames = new Map<string, string>();

/** A stable name per SQL text: pg prepares a named statement once per connection, then only binds it. */
export function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `callbin_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * One connection's grouped transactions: each runs inside a savepoint of one open PostgreSQL
 * transaction, one after another, and the group commits once nobody waits for the connection (or
 * once it is {@link MAX_GROUP} members or {@link MAX_GROUP_MS} old), so the transactions of a busy
 * moment share one commit and one WAL flush. A transaction's promise and its after-commit
 * callbacks settle only once its group committed, so nothing is announced before it is durable; a
 * failed transaction rolls back to its savepoint alone. A lost connection fails the open group's
 * members and the next transaction takes a new connection from the pool.
 *
 * Rows the open group wrote are invisible to every other connection until it commits: readers on
 * the pool see only committed state, and another lane's or node's statement on a row the group
 * locked waits for that commit. A resource's transactions follow each other (each waits for the
 * commit of the one before), so two groups rarely wait on each other; when they do, PostgreSQL's
 * deadlock detection fails one statement and only its transaction rolls back.
 */
export class PgLane {
  readonly #pool: pg.Pool;
  #client: pg.PoolClient | undefined;
  #held = false;
  readonly #waiting: (() => void)[] = [];
  #group: Member[] | undefined;
  #groupStart = 0;
  /** The last member's savepoint is still open (released as the next one starts, or by the commit). */
  #savepointHeld = false;
  #immediate: NodeJS.Immediate | undefined;
  #closed = false;

  readonly #maxGroupMs: number;

  constructor(pool: pg.Pool, maxGroupMs = MAX_GROUP_MS) {
    this.#pool = pool;
    this.#maxGroupMs = maxGroupMs;
  }

  /** Someone holds the connection (a transaction or a commit). */
  get busy(): boolean {
    return this.#held;
  }

  /** A group is open and young: a transaction now shares its commit. */
  get open(): boolean {
    return this.#group !== undefined && !this.#old();
  }

  /** The open group has waited long enough: it commits when its current holder releases. */
  #old(): boolean {
    return performance.now() - this.#groupStart >= this.#maxGroupMs;
  }

  /** Transactions waiting for the connection. */
  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Run `text` on the held connection: only inside {@link transaction}'s `fn`. A named prepared
   * statement (parsed once per connection) unless `prepared` is false.
   */
  async query(text: string, values: readonly unknown[] = [], prepared = true): Promise<PgResult> {
    const client = this.#client;
    if (!client || !this.#held) throw new Error('the store connection is used outside a transaction');
    const r = prepared
      ? await client.query({ name: statementName(text), text, values: values as unknown[] })
      : await client.query(text, values as unknown[]);
    return { rows: r.rows as PgRow[], rowCount: r.rowCount, command: r.command };
  }

  /**
   * Run `fn` as one transaction of the open group. It resolves with `fn`'s result once the group
   * committed (then `afterCommit` callbacks run, in order); when `fn` throws only its own writes
   * are rolled back and it rejects at once.
   */
  async transaction<T>(fn: (tx: PgTx) => Promise<T>): Promise<T> {
    // Transactions started before close still run: close waits for them at the gate.
    if (this.#closed) throw new Error('the store is closed');
    await this.#acquire();
    let client: pg.PoolClient;
    try {
      client = await this.#connection();
      // One round trip: the previous member's savepoint is released (it committed its writes to
      // the group) as this one's is taken; the commit releases the last one.
      if (!this.#group) {
        await client.query('begin; savepoint grouped');
        this.#group = [];
        this.#groupStart = performance.now();
      } else
        await client.query(this.#savepointHeld ? 'release savepoint grouped; savepoint grouped' : 'savepoint grouped');
      this.#savepointHeld = true;
    } catch (err) {
      this.#abandon(err);
      this.#release();
      throw err;
    }
    const callbacks: (() => void)[] = [];
    let result: T;
    try {
      result = await fn({ afterCommit: (cb) => void callbacks.push(cb), lane: this });
    } catch (err) {
      try {
        this.#savepointHeld = false;
        await client.query('rollback to savepoint grouped; release savepoint grouped');
      } catch {
        // The connection is in no usable state: the whole group is lost.
        this.#abandon(err);
      }
      this.#release();
      throw err;
    }
    const group = this.#group;
    if (!group) {
      // The connection was lost while `fn` ran: its writes went with the group.
      this.#release();
      throw new Error('the store connection was lost before the transaction committed');
    }
    let settle!: (err: unknown) => void;
    const done = new Promise<T>((resolve, reject) => {
      settle = (err) => (err === undefined ? resolve(result) : reject(err));
    });
    group.push({ settle, afterCommit: callbacks });
    this.#release();
    return done;
  }

  /** Commit what is open and give the connection back; later transactions fail. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearImmediate(this.#immediate);
    // Behind every transaction started before close (the gate is first come, first served).
    await this.#acquire();
    await this.#commit();
    this.#client?.release();
    this.#client = undefined;
    this.#held = false;
  }

  async #connection(): Promise<pg.PoolClient> {
    if (this.#client) return this.#client;
    const client = await this.#pool.connect();
    // An error between statements (the server went away) ends this connection; the group is lost.
    client.on('error', (err) => {
      if (this.#client === client) this.#abandon(err);
    });
    this.#client = client;
    return client;
  }

  async #acquire(): Promise<void> {
    if (this.#held) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#held = true;
  }

  /** Hand the connection on; a full or old group commits first, an idle one at the end of this turn. */
  #release(): void {
    const group = this.#group;
    if (group && group.length > 0 && (group.length >= MAX_GROUP || this.#old())) {
      void this.#commit().then(() => this.#handOff());
      return;
    }
    this.#handOff();
  }

  #handOff(): void {
    const next = this.#waiting.shift();
    if (next) {
      next();
      return;
    }
    this.#held = false;
    // Whatever else this event-loop turn writes joins the same commit.
    if (this.#group && !this.#immediate) this.#immediate = setImmediate(this.#commitWhenFree);
  }

  readonly #commitWhenFree = (): void => {
    this.#immediate = undefined;
    // A holder still busy commits or schedules again when it releases.
    if (this.#held || !this.#group) return;
    this.#held = true;
    void this.#commit().then(() => this.#handOff());
  };

  /** Commit the open group (the caller holds the connection) and settle its members. */
  async #commit(): Promise<void> {
    const members = this.#group;
    if (!members) return;
    this.#group = undefined;
    this.#savepointHeld = false;
    let failure: unknown;
    try {
      const r = await this.#client!.query('commit');
      // PostgreSQL answers COMMIT of an aborted transaction with ROLLBACK.
      if (r.command === 'ROLLBACK') failure = new Error('the store transaction was rolled back by the database');
    } catch (err) {
      failure = err ?? new Error('commit failed');
      this.#discard(err);
    }
    settleGroup(members, failure);
  }

  /** The open group cannot commit: fail its members and drop the connection. */
  #abandon(err: unknown): void {
    const members = this.#group ?? [];
    this.#group = undefined;
    this.#savepointHeld = false;
    this.#discard(err);
    for (const m of members) m.settle(err ?? new Error('store transaction failed'));
  }

  #discard(err: unknown): void {
    const client = this.#client;
    this.#client = undefined;
    // Released with an error, pg closes the connection instead of pooling it (and its open transaction).
    client?.release(err instanceof Error ? err : new Error('store connection dropped'));
  }
}
