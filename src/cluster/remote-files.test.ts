import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectNatsBus, type Bus } from '../bus/index.ts';
import { LocalRecordingStorage, type ByteRange, type RecordingFileStore } from '../recordings/index.ts';
import { FILE_CHUNK_BYTES, RemoteFiles, nodeFileSubject } from './remote-files.ts';

const natsUrl = process.env.CALLBIN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

async function bytesOf(files: RecordingFileStore, name: string, range?: ByteRange): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of files.read(name, range)) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** One node: its bus connection, its recording directory and its RemoteFiles (serving its own files). */
interface Node {
  id: string;
  bus: Bus;
  dir: string;
  disk: LocalRecordingStorage;
  files: RemoteFiles;
  stopServing(): void;
}

describe('remote files over NATS: a recording file of node A read, ranged, sized and removed through node B', () => {
  // Unique node ids per run: several test files may use the same NATS server at once.
  const run = randomBytes(4).toString('hex');
  const owners = new Map<string, string>();
  const nodes: Node[] = [];
  let a: Node;
  let b: Node;

  async function openNode(id: string, chunkTimeoutMs = 5_000): Promise<Node> {
    const bus = await connectNatsBus(natsUrl, { name: id });
    const dir = await mkdtemp(join(tmpdir(), 'callbin-remote-files-'));
    const disk = new LocalRecordingStorage({ dir, repairWav: async () => ({ durationSec: 0 }) });
    await disk.prepare();
    const files = new RemoteFiles({
      bus,
      nodeId: id,
      local: disk,
      ownerOf: async (rid) => owners.get(rid),
      chunkTimeoutMs,
    });
    const node: Node = { id, bus, dir, disk, files, stopServing: files.serve() };
    nodes.push(node);
    await bus.flush();
    return node;
  }

  /** A recording file of `bytes` random bytes written on `node`'s disk and owned by it. */
  async function recordOn(node: Node, bytes: number, suffix = '_in'): Promise<{ name: string; data: Buffer }> {
    const id = randomUUID();
    const name = `${id}${suffix}.wav`;
    const data = randomBytes(bytes);
    await writeFile(join(node.dir, name), data);
    owners.set(id, node.id);
    return { name, data };
  }

  before(async () => {
    a = await openNode(`files-a-${run}`);
    b = await openNode(`files.b.${run}`);
  });
  after(async () => {
    for (const node of nodes) {
      node.stopServing();
      await node.bus.close();
      await rm(node.dir, { recursive: true, force: true });
    }
  });

  it('the whole file of several chunks, read through B, is the bytes on A’s disk; B’s disk stays empty', async () => {
    const { name, data } = await recordOn(a, 2 * FILE_CHUNK_BYTES + 12_345);
    const chunks: number[] = [];
    for await (const chunk of b.files.read(name)) chunks.push(chunk.length);
    assert.deepEqual(chunks, [FILE_CHUNK_BYTES, FILE_CHUNK_BYTES, 12_345]);
    assert.deepEqual(await bytesOf(b.files, name), data);
    assert.equal(await b.disk.stat(name), undefined);
    assert.equal(await b.files.stat(name), data.length);
  });

  it('byte ranges through B are the same bytes as the same ranges read on A (across chunk edges, to the end, past it)', async () => {
    const { name, data } = await recordOn(a, FILE_CHUNK_BYTES + 1000);
    const ranges: ByteRange[] = [
      { start: 0, end: 0 },
      { start: 10, end: 43 },
      { start: FILE_CHUNK_BYTES - 5, end: FILE_CHUNK_BYTES + 5 },
      { start: 3, end: FILE_CHUNK_BYTES + 999 },
      { start: FILE_CHUNK_BYTES + 990, end: FILE_CHUNK_BYTES + 5000 },
      { start: FILE_CHUNK_BYTES + 2000, end: FILE_CHUNK_BYTES + 3000 },
    ];
    for (const range of ranges) {
      const here = await bytesOf(a.disk, name, range);
      assert.deepEqual(await bytesOf(b.files, name, range), here, `range ${range.start}-${range.end}`);
      assert.deepEqual(here, data.subarray(range.start, range.end + 1));
    }
  });

  it('an empty file reads as nothing; a file missing on its owner is RECORDING_FILE_NOT_FOUND', async () => {
    const empty = await recordOn(a, 0, '');
    assert.equal((await bytesOf(b.files, empty.name)).length, 0);
    assert.equal(await b.files.stat(empty.name), 0);
    const gone = await recordOn(a, 10, '_out');
    await rm(join(a.dir, gone.name));
    await assert.rejects(bytesOf(b.files, gone.name), { code: 'RECORDING_FILE_NOT_FOUND' });
    assert.equal(await b.files.stat(gone.name), undefined);
    // B's own recording whose file is gone, and a file no row names: 404 as well, without the bus.
    const own = await recordOn(b, 10);
    await rm(join(b.dir, own.name));
    await assert.rejects(bytesOf(b.files, own.name), { code: 'RECORDING_FILE_NOT_FOUND' });
    await assert.rejects(bytesOf(b.files, `${randomUUID()}.wav`), { code: 'RECORDING_FILE_NOT_FOUND' });
    await b.files.remove(own.name);
  });

  it('remove through B removes the file on A; a name that is not a recording file is refused before any request', async () => {
    const { name } = await recordOn(a, 100);
    await b.files.remove(name);
    assert.equal(await a.disk.stat(name), undefined);
    await b.files.remove(name);
    await assert.rejects(bytesOf(b.files, '../callbin.db'), { code: 'INVALID_FILENAME' });
    await assert.rejects(b.files.stat('x.wav'), { code: 'INVALID_FILENAME' });
  });

  it('a file on B’s own disk (a shared directory) is read there whoever wrote it', async () => {
    const { name, data } = await recordOn(a, 500);
    await writeFile(join(b.dir, name), data.subarray(0, 100));
    assert.deepEqual(await bytesOf(b.files, name), data.subarray(0, 100));
  });

  it('the owner serves only recording file names of its directory, chunks of at most 256 KiB, and answers bad requests', async () => {
    const { name } = await recordOn(a, 300);
    const secret = join(a.dir, '..', `secret-${run}.wav`);
    await writeFile(secret, 'secret');
    try {
      const ask = async (req: unknown) =>
        JSON.parse(
          await b.bus.request(nodeFileSubject(a.id), typeof req === 'string' ? req : JSON.stringify(req), 2_000),
        );
      for (const bad of [
        { op: 'read', name: `../secret-${run}.wav`, start: 0, end: 5 },
        { op: 'read', name: secret, start: 0, end: 5 },
        { op: 'stat', name: '/etc/passwd' },
        { op: 'remove', name: `${name}/..` },
        { op: 'read', name, start: 0, end: FILE_CHUNK_BYTES },
        { op: 'read', name, start: 5, end: 4 },
        { op: 'read', name, start: -1, end: 4 },
        { op: 'write', name },
        'not json',
        null,
      ]) {
        const reply = await ask(bad);
        assert.equal(reply.ok, false, JSON.stringify(bad));
        assert.equal(reply.code, 'INVALID_REQUEST', JSON.stringify(bad));
      }
      assert.equal(await readFile(secret, 'utf8'), 'secret');
      const fine = await ask({ op: 'read', name, start: 0, end: FILE_CHUNK_BYTES - 1 });
      assert.equal(fine.ok, true);
      assert.equal(Buffer.from(fine.data, 'base64').length, 300);
    } finally {
      await rm(secret, { force: true });
    }
  });

  it('an owner that is gone is 503 NODE_UNAVAILABLE naming it; one that does not answer is the same after the deadline', async () => {
    const c = await openNode(`files-c-${run}`);
    const { name } = await recordOn(c, 100);
    c.stopServing();
    await c.bus.flush();
    await assert.rejects(bytesOf(b.files, name), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'NODE_UNAVAILABLE');
      assert.match(err.message, new RegExp(`node ${c.id}`));
      return true;
    });
    // A node that takes the request but never answers: each chunk has its own deadline.
    const hung = `files-d-${run}`;
    const stop = c.bus.serve(nodeFileSubject(hung), () => new Promise<string>(() => undefined));
    await c.bus.flush();
    const impatient = new RemoteFiles({
      bus: b.bus,
      nodeId: b.id,
      local: b.disk,
      ownerOf: async () => hung,
      chunkTimeoutMs: 200,
    });
    await assert.rejects(bytesOf(impatient, name), { code: 'NODE_UNAVAILABLE' });
    await assert.rejects(impatient.remove(name), { code: 'NODE_UNAVAILABLE' });
    stop();
  });
});
