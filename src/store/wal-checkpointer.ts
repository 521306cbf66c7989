import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Options of the checkpointer. */
export interface WalCheckpointerOptions {
  /** Commits after which a checkpoint is asked for. */
  everyCommits?: number;
  /** A checkpoint is also asked for this long after a commit when fewer commits followed (ms). */
  idleMs?: number;
  /** Told when a checkpoint fails (the WAL keeps growing until one succeeds). */
  onError?: (err: Error) => void;
}

/** The worker: its own connection to the file, one PASSIVE checkpoint per message (plain JS: it is evaluated). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage('done');
  } catch (err) {
    parentPort.postMessage(String(err && err.message ? err.message : err));
  }
});
`;

/**
 * Keeps SQLite's WAL checkpoints off the commit path (docs/architecture.md "Store"): the writing
 * connection has `wal_autocheckpoint = 0`, and a worker thread with a connection of its own copies
 * committed pages into the database file (a PASSIVE checkpoint, which never blocks the writer) after
 * every {@link WalCheckpointerOptions.everyCommits} commits or a moment after the last one, and the
 * writer finishes each one (see {@link committed}). A commit then writes only its own WAL frames,
 * and the database file's writes and fsync mostly happen beside the event loop, not in it.
 * The worker starts on the first checkpoint, so a short-lived store never starts one.
 */
export class WalCheckpointer {
  readonly #file: string;
  readonly #everyCommits: number;
  readonly #idleMs: number;
  readonly #onError: (err: Error) => void;
  #worker: Worker | undefined;
  #running = false;
  #commits = 0;
  #idle: NodeJS.Timeout | undefined;
  #closed = false;
  #finish = false;

  constructor(file: string, options: WalCheckpointerOptions = {}) {
    this.#file = file;
    this.#everyCommits = options.everyCommits ?? 200;
    this.#idleMs = options.idleMs ?? 1000;
    this.#onError = options.onError ?? (() => undefined);
  }

  /** Checkpoints asked for and finished so far (for tests and metrics). */
  completed = 0;

  /**
   * A commit happened on the writing connection. True when the writer should finish a checkpoint
   * now, outside any transaction: the worker copied most frames, but the WAL rewinds only after a
   * checkpoint that copied every frame, which the commits made during the worker's copy prevent; the
   * writer's own PASSIVE checkpoint copies just those few and lets the next commit rewind the WAL.
   */
  committed(): boolean {
    if (this.#closed) return false;
    const finish = this.#finish;
    this.#finish = false;
    this.#commits += 1;
    if (this.#commits >= this.#everyCommits) this.#request();
    else if (this.#idle === undefined) {
      this.#idle = setTimeout(() => {
        this.#idle = undefined;
        this.#request();
      }, this.#idleMs);
      this.#idle.unref();
    }
    return finish;
  }

  /** Stops the worker (its connection closes; the last connection to close checkpoints the rest). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#idle);
    this.#worker?.postMessage('close');
    this.#worker?.unref();
  }

  #request(): void {
    if (this.#closed || this.#running || this.#commits === 0) return;
    clearTimeout(this.#idle);
    this.#idle = undefined;
    this.#commits = 0;
    this.#running = true;
    this.#worker ??= this.#start();
    this.#worker.postMessage('checkpoint');
  }

  #start(): Worker {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: this.#file, driver } });
    worker.unref();
    worker.on('message', (m: unknown) => {
      this.#running = false;
      if (m === 'done') {
        this.completed += 1;
        this.#finish = true;
      } else this.#onError(new Error(`WAL checkpoint failed: ${String(m)}`));
      // Commits that came meanwhile ask again at once when they are many.
      if (this.#commits >= this.#everyCommits) this.#request();
    });
    worker.on('error', (err) => {
      this.#running = false;
      this.#worker = undefined;
      this.#onError(err);
    });
    return worker;
  }
}
