import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { AppError, newId } from '../shared/index.ts';
import { LOCK_FILE, openStore } from './index.ts';

const STORE_MODULE = pathToFileURL(join(import.meta.dirname, 'index.ts')).href;

/** A second process: `node --import tsx` running `body` (ESM) with the store module as `store` (or plain node). */
function nodeProcess(body: string, args: string[], withStore = true) {
  const script = withStore ? `const store = await import(${JSON.stringify(STORE_MODULE)});\n${body}` : body;
  const flags = withStore ? ['--import', 'tsx', '--input-type=module'] : [];
  const child = spawn(process.execPath, [...flags, '-e', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => out,
    /** Resolves once the output has a line matching `pattern`; rejects if the process exits first. */
    async waitFor(pattern: RegExp): Promise<void> {
      while (!pattern.test(out)) {
        const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(r, 20, false))]);
        if (done && !pattern.test(out)) throw new Error(`process exited without ${pattern}: ${out}`);
      }
    },
  };
}

/** Try to open `dataDir` in another process: its output is the error code and message, or OPENED. */
async function openElsewhere(dataDir: string): Promise<string> {
  const p = nodeProcess(
    `try {
  const s = await store.openStore({ dataDir: process.argv[1] });
  await s.close();
  console.log('OPENED');
} catch (err) {
  console.log(err.code + ' ' + err.message);
}`,
    [dataDir],
  );
  assert.equal(await p.exited, 0, p.output());
  return p.output().trim();
}

describe('one process per SQLite data directory (callbin.lock)', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'callbin-lock-'));
    dirs.push(dir);
    return dir;
  };
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('a second process gets DATA_DIR_IN_USE naming this pid; the first store keeps working', async () => {
    const dataDir = await tempDir();
    const first = await openStore({ dataDir, nodeId: 'lock-test' });
    try {
      const lock = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number; hostname: string };
      assert.deepEqual(lock, { pid: process.pid, hostname: hostname() });
      assert.equal(statSync(join(dataDir, LOCK_FILE)).mode & 0o777, 0o600);
      const out = await openElsewhere(dataDir);
      assert.match(out, /^DATA_DIR_IN_USE another callbin process \(pid (\d+)\) uses /);
      assert.ok(out.includes(`(pid ${process.pid})`) && out.includes(dataDir), out);
      assert.match(out, /SQLite is one node: for several nodes use PostgreSQL and NATS \(docs\/cluster\.md\)/);
      const customer = await first.customers.create({
        name: `lock-${newId().slice(0, 8)}`,
        detail: '',
        email: '',
        webhook_method: 'POST',
        webhook_uri: '',
        webhook_secret: '',
        webhook_event_types: [],
      });
      assert.equal((await first.customers.get(customer.id))?.name, customer.name);
    } finally {
      await first.close();
    }
    assert.equal(existsSync(join(dataDir, LOCK_FILE)), false, 'close releases the lock');
    assert.equal(await openElsewhere(dataDir), 'OPENED');
  });

  it('the lock comes before the database: a refused process creates no callbin.db', async () => {
    const dataDir = await tempDir();
    // A live process on this host holds the directory (a lock as another callbin writes it).
    const holder = nodeProcess("console.log('UP'); setInterval(() => {}, 1000);", [], false);
    try {
      await holder.waitFor(/UP/);
      const pid = holder.child.pid ?? 0;
      writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ pid, hostname: hostname() }), { mode: 0o600 });
      assert.match(await openElsewhere(dataDir), new RegExp(`^DATA_DIR_IN_USE .*\\(pid ${pid}\\)`));
      await assert.rejects(
        openStore({ dataDir }),
        (err: unknown) => err instanceof AppError && err.code === 'DATA_DIR_IN_USE',
      );
      assert.equal(existsSync(join(dataDir, 'callbin.db')), false, 'the database file was not touched');
    } finally {
      holder.child.kill('SIGKILL');
      await holder.exited;
    }
  });

  it('the lock of a killed holder is taken over; it is released at close', async () => {
    const dataDir = await tempDir();
    const holder = nodeProcess(
      "await store.openStore({ dataDir: process.argv[1] }); console.log('OPEN'); setInterval(() => {}, 1000);",
      [dataDir],
    );
    await holder.waitFor(/OPEN/);
    assert.match(await openElsewhere(dataDir), /^DATA_DIR_IN_USE /);
    holder.child.kill('SIGKILL');
    await holder.exited;
    const stale = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number };
    assert.equal(stale.pid, holder.child.pid, 'SIGKILL left the lock behind');
    const store = await openStore({ dataDir });
    try {
      const lock = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number };
      assert.equal(lock.pid, process.pid);
      await store.ping();
      assert.match(await openElsewhere(dataDir), /^DATA_DIR_IN_USE /);
    } finally {
      await store.close();
    }
    assert.equal(existsSync(join(dataDir, LOCK_FILE)), false);
  });

  it('stores of one process share the lock until the last closes; lock: false takes none', async () => {
    const dataDir = await tempDir();
    const a = await openStore({ dataDir });
    const b = await openStore({ dataDir });
    await a.close();
    assert.equal(existsSync(join(dataDir, LOCK_FILE)), true, 'still held by the second store');
    await b.close();
    assert.equal(existsSync(join(dataDir, LOCK_FILE)), false);
    const admin = await openStore({ dataDir, lock: false });
    try {
      assert.equal(existsSync(join(dataDir, LOCK_FILE)), false);
      assert.equal(await openElsewhere(dataDir), 'OPENED');
    } finally {
      await admin.close();
    }
  });
});
