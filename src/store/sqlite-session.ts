import type SqliteDatabase from 'better-sqlite3';
import { settleGroup, type GroupMember } from './group-member.ts';

const STATEMENT_CACHE_SIZE = 1000;
/** Transactions committed together at most; bounds how long the first one waits under load. */
const MAX_GROUP = 256;
/**
 * How long writes nobody waits for (the webhook worker's leases and outcomes) may stay uncommitted
 * when no transaction comes to share their commit. Each commit writes every page its group dirtied
 * to the WAL, so sharing commits is what keeps the disk writes per call low.
 */
const BACKGROUND_COMMIT_MS = 20;

/** What the session tells of its commits (WalCheckpointer): true asks it to finish a checkpoint. */
export interface SessionCheckpointer {
  committed(): boolean;
  close(): void;
}

/** One logical transaction of an open group, settled when the group commits. */
interface Member extends GroupMember {
  /** Undo what the transaction did outside SQLite (e.g. counters kept in memory) if its writes are lost. */
  undo: readonly (() => void)[];
}

/**
 * The one connection of the embedded store and who may use it.
 *
 * Every use is serialised by a FIFO gate (kysely's queries through the driver, the repositories'
 * prepared statements, transactions). Transactions are *grouped*: each runs inside a savepoint of
 * an open SQLite transaction, and the group commits at the end of the event-loop turn once nobody
 * holds the connection (at once when it reaches {@link MAX_GROUP}), so the transactions of one turn
 * share one commit. A transaction's promise and its after-commit callbacks settle only once its
 * group committed, so nothing is announced before it is durable; a failed transaction rolls back to
 * its savepoint alone. Background writes ({@link write}) join the open group and wait up to
 * {@link BACKGROUND_COMMIT_MS} for a transaction to share a commit with. Every other use (kysely
 * reads and writes, API lists) commits the open group first, so it never sees what is not
 * committed. The delays are real time, not the injected Clock: they pace disk writes, no domain time.
 */
export class SqliteSession {
  readonly database: SqliteDatabase.Database;
  readonly #statements = new Map<string, SqliteDatabase.Statement>();
  #held = false;
  readonly #waiting: (() => void)[] = [];
  #group: Member[] | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The undo list of the transaction or write holding the connection now. */
  #undoing: (() => void)[] | undefined;
  /** Undo lists of background writes in the open group (they have no member of their own). */
  #writeUndos: (() => void)[] = [];

  readonly #checkpointer: SessionCheckpointer | undefined;

  /** `checkpointer` hears of every commit and is closed with the session (see WalCheckpointer). */
  constructor(database: SqliteDatabase.Database, checkpointer?: SessionCheckpointer) {
    this.database = database;
    this.#checkpointer = checkpointer;
  }

  /**
   * Registers `cb` to run if the writes of the transaction (or background write) holding the connection
   * now are rolled back or never committed; outside one it does nothing. For state a repository keeps
   * in memory beside its rows (the outbox's sequence counters).
   */
  onRollback(cb: () => void): void {
    this.#undoing?.push(cb);
  }

  /** The prepared statement of `sql`, cached per SQL text (the set of statements is small and bounded). */
  statement(sqlText: string): SqliteDatabase.Statement {
    let stmt = this.#statements.get(sqlText);
    if (!stmt) {
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.clear();
      stmt = this.database.prepare(sqlText);
      this.#statements.set(sqlText, stmt);
    }
    return stmt;
  }

  /** Wait for the connection alone; the open group is committed first. Pair with {@link release}. */
  async acquire(): Promise<void> {
    if (this.#held) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#held = true;
    this.#commitGroup();
  }

  /** Hand the connection to the next waiter, or commit the open group soon when nobody waits. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) {
      if (this.#group && this.#group.length >= MAX_GROUP) this.#commitGroup();
      next();
      return;
    }
    this.#held = false;
    this.#scheduleCommit();
  }

  #scheduleCommit(): void {
    const group = this.#group;
    if (!group || this.#immediate) return;
    // Whatever else this event-loop turn writes joins the same commit.
    if (group.length > 0) this.#immediate = setImmediate(this.#commitWhenFree);
    else this.#timer ??= setTimeout(this.#commitWhenFree, BACKGROUND_COMMIT_MS);
  }

  readonly #commitWhenFree = (): void => {
    this.#immediate = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // A holder still busy schedules again when it releases.
    if (!this.#held) this.#commitGroup();
  };

  /**
   * Run `fn` as one transaction of the open group. It resolves with `fn`'s result once the group
   * committed (then `afterCommit` callbacks run, in order); when `fn` throws only its own writes
   * are rolled back and it rejects at once.
   */
  async transaction<T>(fn: (afterCommit: (cb: () => void) => void) => Promise<T> | T): Promise<T> {
    await this.#acquireForGroup();
    const callbacks: (() => void)[] = [];
    const undo: (() => void)[] = [];
    let result: T;
    try {
      this.#undoing = undo;
      this.#savepoint('savepoint');
      result = await fn((cb) => void callbacks.push(cb));
      this.#savepoint('release');
    } catch (err) {
      this.#undo(err);
      runAll(undo);
      this.#undoing = undefined;
      this.release();
      throw err;
    }
    this.#undoing = undefined;
    let settle!: (err: unknown) => void;
    const done = new Promise<T>((resolve, reject) => {
      settle = (err) => (err === undefined ? resolve(result) : reject(err));
    });
    this.#group!.push({ settle, afterCommit: callbacks, undo });
    this.release();
    return done;
  }

  /**
   * Run the synchronous `fn` inside the open group without waiting for the commit (the webhook
   * worker's leases and outcomes: losing them to a crash only means a delivery is sent again).
   * With `fresh`, the open group is committed first so `fn` reads only committed rows.
   */
  async write<T>(fn: () => T, opts: { fresh?: boolean } = {}): Promise<T> {
    if (opts.fresh) await this.acquire();
    else await this.#acquireForGroup();
    try {
      if (!this.#group) this.#begin();
      const undo: (() => void)[] = [];
      this.#undoing = undo;
      this.#savepoint('savepoint');
      try {
        const result = fn();
        this.#savepoint('release');
        this.#writeUndos.push(...undo);
        return result;
      } catch (err) {
        this.#undo(err);
        runAll(undo);
        throw err;
      }
    } finally {
      this.#undoing = undefined;
      this.release();
    }
  }

  /** Commit what is open and close the database; idempotent. */
  close(): void {
    if (!this.database.open) return;
    clearImmediate(this.#immediate);
    clearTimeout(this.#timer);
    this.#commitGroup();
    this.#checkpointer?.close();
    this.database.close();
  }

  async #acquireForGroup(): Promise<void> {
    if (this.#held) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#held = true;
    if (this.#group) return;
    try {
      this.#begin();
    } catch (err) {
      this.release();
      throw err;
    }
  }

  #begin(): void {
    this.statement('begin').run();
    this.#group = [];
  }

  #savepoint(verb: 'savepoint' | 'release' | 'rollback to'): void {
    this.statement(`${verb} grouped`).run();
  }

  /** Roll back the failed transaction; if SQLite aborted the whole group, fail every member. */
  #undo(err: unknown): void {
    if (this.database.inTransaction) {
      try {
        this.#savepoint('rollback to');
        this.#savepoint('release');
        return;
      } catch {
        // fall through: the connection is in no usable state; abandon the group
      }
    }
    const members = this.#group ?? [];
    this.#group = undefined;
    if (this.database.inTransaction) this.statement('rollback').run();
    this.#lost(members);
    for (const m of members) m.settle(err ?? new Error('store transaction failed'));
  }

  /** The writer's share of a checkpoint (outside any transaction: right after a commit). */
  #finishCheckpoint(): void {
    try {
      this.database.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // The next one retries; a failed checkpoint loses nothing, the WAL only grows meanwhile.
    }
  }

  /** The writes of `members` and of the group's background writes are gone: undo their memory. */
  #lost(members: readonly Member[]): void {
    for (const m of members) runAll(m.undo);
    runAll(this.#writeUndos);
    this.#writeUndos = [];
  }

  #commitGroup(): void {
    const members = this.#group;
    if (!members) return;
    this.#group = undefined;
    let failure: unknown;
    try {
      this.statement('commit').run();
      this.#writeUndos = [];
      if (this.#checkpointer?.committed()) this.#finishCheckpoint();
    } catch (err) {
      failure = err ?? new Error('commit failed');
      if (this.database.inTransaction) this.statement('rollback').run();
      this.#lost(members);
    }
    settleGroup(members, failure);
  }
}

function runAll(callbacks: readonly (() => void)[]): void {
  for (const cb of callbacks) cb();
}
