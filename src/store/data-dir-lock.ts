import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../shared/index.ts';

/** The lock file in a data directory: the one process whose SQLite store uses it (docs/cluster.md). */
export const LOCK_FILE = 'callbin.lock';

/** What a lock file says about its holder. */
interface Holder {
  pid: number;
  hostname: string;
}

/** The locks this process holds, by real data directory path, with how many open stores share each. */
const held = new Map<string, { file: string; count: number }>();

const TAKEOVER_ATTEMPTS = 50;
const TAKEOVER_WAIT_MS = 20;

function readHolder(file: string): Holder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.hostname !== 'string') return { pid: 0, hostname: '' };
    return { pid: parsed.pid, hostname: parsed.hostname };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Unreadable content names no live process.
    return { pid: 0, hostname: '' };
  }
}

/** A process on this host that still runs (EPERM: it runs under another user). */
function isLive(holder: Holder): boolean {
  if (holder.hostname !== hostname() || !Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Create `file` holding this process's pid and host, complete or not at all: written beside it,
 * then hard-linked to its name (which fails when the name exists). False when it exists.
 */
function createExclusive(file: string): boolean {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, `${JSON.stringify({ pid: process.pid, hostname: hostname() })}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(temp);
  }
}

function inUse(holder: Holder, dataDir: string): AppError {
  return new AppError(
    'DATA_DIR_IN_USE',
    `another callbin process (pid ${holder.pid}) uses ${dataDir}; SQLite is one node: for several nodes use ` +
      'PostgreSQL and NATS (docs/cluster.md)',
  );
}

/**
 * Make this process the one owner of `dataDir`'s SQLite file before it is opened: create
 * `<dataDir>/callbin.lock` (pid and host name, mode 0600). A lock naming a live process on this host
 * is AppError `DATA_DIR_IN_USE`; one naming a gone process is taken over, by one process only (the
 * takeover runs under a second lock file). Stores of this process on the same directory share the
 * lock. Resolves with the release function (idempotent): the file goes with the last store.
 */
export async function lockDataDir(dataDir: string): Promise<() => void> {
  const key = realpathSync(dataDir);
  const mine = held.get(key);
  if (mine) {
    mine.count++;
    return releaseOnce(key);
  }
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt++) {
    if (createExclusive(file)) {
      held.set(key, { file, count: 1 });
      return releaseOnce(key);
    }
    const holder = readHolder(file);
    if (holder === undefined) continue;
    if (isLive(holder) && holder.pid !== process.pid) throw inUse(holder, dataDir);
    if (await takeOver(file, holder)) {
      held.set(key, { file, count: 1 });
      return releaseOnce(key);
    }
    await sleep(TAKEOVER_WAIT_MS);
  }
  throw new AppError('DATA_DIR_IN_USE', `${file} is being taken over by another process; start again`);
}

/** Replace the stale lock `file` (naming `stale`) by ours, under `<file>.takeover`; false to retry. */
async function takeOver(file: string, stale: Holder): Promise<boolean> {
  const guard = `${file}.takeover`;
  if (!createExclusive(guard)) {
    // A takeover left behind by a process that died in it is removed; a running one is waited for.
    const other = readHolder(guard);
    if (other !== undefined && !isLive(other)) unlinkQuietly(guard);
    return false;
  }
  try {
    const now = readHolder(file);
    if (now !== undefined && (now.pid !== stale.pid || now.hostname !== stale.hostname)) return false;
    unlinkQuietly(file);
    return createExclusive(file);
  } finally {
    unlinkQuietly(guard);
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function releaseOnce(key: string): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const lock = held.get(key);
    if (!lock || --lock.count > 0) return;
    held.delete(key);
    // Only our own lock is removed: a directory whose lock was replaced meanwhile keeps the new one.
    const holder = readHolder(lock.file);
    if (holder?.pid === process.pid && holder.hostname === hostname()) unlinkQuietly(lock.file);
  };
}
