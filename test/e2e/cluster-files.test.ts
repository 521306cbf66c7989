import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../../src/config/index.ts';
import type { Recording } from '../../src/recordings/index.ts';
import { startCallbin, type CallbinHandle } from '../../src/main.ts';
import { silentLogger } from '../../src/shared/index.ts';
import { RtpProbe, type SippProcess } from '../support/calls-harness.ts';
import {
  SilentPeer,
  apiCall,
  createNumberWithFlow,
  createProvider,
  expectStatus,
  startSippCaller,
  waitForListedCall,
  type TestCallbin,
} from '../support/callbin.ts';

/** The PostgreSQL server this file may create a database on, as the store contract suite uses. */
const adminUrl = process.env.CALLBIN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const natsUrl = process.env.CALLBIN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Two recordings of one call made by its flow on node A: the first is downloaded, the second deleted.
const RECORDING_FLOW = [
  { type: 'answer' },
  { type: 'recording_start' },
  { type: 'sleep', option: { duration: 1500 } },
  { type: 'recording_stop' },
  { type: 'recording_start' },
  { type: 'sleep', option: { duration: 400 } },
  { type: 'recording_stop' },
  { type: 'hangup' },
];

/** The files of a stored (uncompressed) zip as `/recordingfiles` builds it, by name (APPNOTE.TXT §4.3.7). */
function unzipStored(zip: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let at = 0;
  while (zip.readUInt32LE(at) === 0x04034b50) {
    const size = zip.readUInt32LE(at + 22);
    const nameLength = zip.readUInt16LE(at + 26);
    const name = zip.subarray(at + 30, at + 30 + nameLength).toString('utf8');
    const start = at + 30 + nameLength;
    files.set(name, zip.subarray(start, start + size));
    at = start + size;
  }
  return files;
}

describe('cluster e2e: a recording made on node A downloads through node B', () => {
  const run = randomBytes(4).toString('hex');
  const database = `callbin_files_${run}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  const adminKey = `vb_${randomBytes(24).toString('base64url')}`;
  const dataDirs: string[] = [];
  const running: CallbinHandle[] = [];
  let created = false;
  let a: TestCallbin;
  let b: TestCallbin;
  let peer: SilentPeer | undefined;
  let probe: RtpProbe | undefined;
  let caller: SippProcess | undefined;
  let recordings: any[] = [];
  let mix: { recording: Recording; data: Buffer };

  async function startNode(name: string): Promise<TestCallbin> {
    const dataDir = await mkdtemp(join(tmpdir(), `callbin-cluster-files-${name}-`));
    dataDirs.push(dataDir);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    const rtpMin = 20_000 + 2 * Math.floor(Math.random() * 9_900);
    const handle = await startCallbin(
      loadConfig({
        CALLBIN_DATA_DIR: dataDir,
        CALLBIN_DATABASE_URL: url.toString(),
        CALLBIN_NATS_URL: natsUrl,
        CALLBIN_NODE_ID: `files-${name}-${run}`,
        CALLBIN_ADMIN_KEY: adminKey,
        CALLBIN_HTTP_HOST: '127.0.0.1',
        CALLBIN_HTTP_PORT: '0',
        CALLBIN_SIP_HOST: '127.0.0.1',
        CALLBIN_SIP_PORT: '0',
        CALLBIN_RTP_PORT_MIN: String(rtpMin),
        CALLBIN_RTP_PORT_MAX: String(rtpMin + 199),
        CALLBIN_OVERLOAD_UTILISATION: '0',
        CALLBIN_LOG_LEVEL: 'silent',
      }),
      { logger: silentLogger },
    );
    running.push(handle);
    return {
      handle,
      store: handle.store,
      sipPort: handle.sip.address.port,
      api: (method, path, body) => apiCall(handle.apiUrl, adminKey, method, path, body),
      close: () => handle.close(),
    };
  }

  function download(node: TestCallbin, id: string, range?: string): Promise<Response> {
    return fetch(`${node.handle.apiUrl}/v1.0/recordingfiles/${id}`, {
      headers: { authorization: `Bearer ${adminKey}`, ...(range ? { range } : {}) },
      // Never a hang: a node that does not answer is a 503 well within this.
      signal: AbortSignal.timeout(20_000),
    });
  }

  before(async () => {
    // Never skipped: without PostgreSQL or NATS this fails, naming the server.
    await admin.connect();
    await admin.query(`create database ${database}`);
    created = true;
    a = await startNode('a');
    b = await startNode('b');
    peer = await SilentPeer.open();
    // A provider on 127.0.0.1 makes the sipp caller (same address) a trusted source.
    await createProvider(a, peer.port);
    const number = '+15550016001';
    await createNumberWithFlow(a, number, RECORDING_FLOW);
    probe = await RtpProbe.open();
    caller = await startSippCaller(a, 'calls-uac-incoming.xml', number, { keys: { rtp_port: String(probe.port) } });
    probe.startTone();
    const call = await waitForListedCall(b, (c) => c.destination?.target === number);
    // The flow hangs up after its two recordings; sipp exits once it got the BYE.
    const done = await caller.exited;
    assert.equal(done.code, 0, done.stderr);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const listed = expectStatus(await b.api('GET', `/v1.0/recordings?reference_id=${call.id}`), 200);
      recordings = (listed.result as any[]).sort((x, y) => x.tm_create.localeCompare(y.tm_create));
      if (recordings.length === 2 && recordings.every((r) => r.status === 'ended')) break;
      await sleep(100);
    }
    assert.equal(recordings.length, 2, JSON.stringify(recordings));
    assert.ok(recordings.every((r) => r.status === 'ended'));
    mix = await storeMixOnA(call.customer_id);
  });

  /**
   * A one-WAV recording (the layout of a conference mix) of several bus chunks, as node A stores one:
   * its file in A's recording directory, its row written through A's store (so A is its owner).
   */
  async function storeMixOnA(customerId: string): Promise<{ recording: Recording; data: Buffer }> {
    const id = randomUUID();
    const filename = `${id}.wav`;
    const data = randomBytes(600 * 1024 + 17);
    await writeFile(join(a.handle.config.dataDir, 'recordings', filename), data, { mode: 0o600 });
    const now = new Date().toISOString();
    const recording: Recording = {
      id,
      customer_id: customerId,
      reference_type: 'conference',
      reference_id: randomUUID(),
      status: 'ended',
      format: 'wav',
      filenames: [filename],
      files: [{ filename, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') }],
      on_end_flow_id: '00000000-0000-0000-0000-000000000000',
      duration_sec: 1,
      tm_create: now,
      tm_update: now,
      tm_start: now,
      tm_end: now,
    };
    await a.store.transaction((tx) => a.store.recordings.upsert(tx, recording));
    return { recording, data };
  }
  after(async () => {
    await caller?.stop();
    await probe?.close();
    await peer?.close();
    for (const h of running) await h.close();
    for (const d of dataDirs) await rm(d, { recursive: true, force: true });
    if (created) await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  });

  it('GET /recordingfiles through B: the same bytes as A serves, its files the bytes on A’s disk; B’s disk has none', async () => {
    const [first] = recordings;
    const viaA = await download(a, first.id);
    const viaB = await download(b, first.id);
    assert.equal(viaB.status, 200, await viaB.clone().text());
    assert.equal(viaB.headers.get('content-type'), 'application/zip');
    const bytesA = Buffer.from(await viaA.arrayBuffer());
    const bytesB = Buffer.from(await viaB.arrayBuffer());
    assert.equal(Number(viaB.headers.get('content-length')), bytesB.length);
    assert.deepEqual(bytesB, bytesA);
    const files = unzipStored(bytesB);
    assert.deepEqual([...files.keys()].sort(), [...first.filenames].sort());
    for (const file of first.files) {
      const onDiskA = await readFile(join(a.handle.config.dataDir, 'recordings', file.filename));
      assert.ok(onDiskA.length > 44, `${file.filename} holds audio`);
      assert.equal(onDiskA.length, file.bytes);
      assert.deepEqual(files.get(file.filename), onDiskA);
    }
    const onB = await readdir(join(b.handle.config.dataDir, 'recordings')).catch(() => []);
    assert.deepEqual(onB, []);
  });

  it('Range requests through B: 206 with Content-Range and Content-Length, the same bytes as through A; 416 beyond', async () => {
    const [first] = recordings;
    const whole = Buffer.from(await (await download(a, first.id)).arrayBuffer());
    const size = whole.length;
    for (const [header, start, end] of [
      ['bytes=0-99', 0, 99],
      [`bytes=100-${size - 200}`, 100, size - 200],
      ['bytes=-300', size - 300, size - 1],
      [`bytes=${size - 10}-`, size - 10, size - 1],
    ] as [string, number, number][]) {
      const viaB = await download(b, first.id, header);
      assert.equal(viaB.status, 206, header);
      assert.equal(viaB.headers.get('content-range'), `bytes ${start}-${end}/${size}`, header);
      const part = Buffer.from(await viaB.arrayBuffer());
      assert.equal(Number(viaB.headers.get('content-length')), part.length, header);
      assert.deepEqual(part, whole.subarray(start, end + 1), header);
    }
    const beyond = await download(b, first.id, `bytes=${size}-`);
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${size}`);
  });

  it('a one-WAV recording of several chunks through B: audio/wav, the bytes on A’s disk, ranges across chunk edges', async () => {
    const { recording, data } = mix;
    const viaB = await download(b, recording.id);
    assert.equal(viaB.status, 200, await viaB.clone().text());
    assert.equal(viaB.headers.get('content-type'), 'audio/wav');
    assert.equal(Number(viaB.headers.get('content-length')), data.length);
    assert.deepEqual(Buffer.from(await viaB.arrayBuffer()), data);
    const chunk = 256 * 1024;
    for (const [start, end] of [
      [chunk - 10, chunk + 10],
      [1, 2 * chunk + 1],
      [data.length - 5, data.length - 1],
    ] as [number, number][]) {
      const part = await download(b, recording.id, `bytes=${start}-${end}`);
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes ${start}-${end}/${data.length}`);
      assert.equal(Number(part.headers.get('content-length')), end - start + 1);
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), data.subarray(start, end + 1));
    }
  });

  it('DELETE /recordings/{id} through B removes the files from A’s disk', async () => {
    const [, second] = recordings;
    const dirA = join(a.handle.config.dataDir, 'recordings');
    for (const name of second.filenames) assert.ok((await readdir(dirA)).includes(name), name);
    expectStatus(await b.api('DELETE', `/v1.0/recordings/${second.id}`), 200);
    const left = await readdir(dirA);
    for (const name of second.filenames) assert.ok(!left.includes(name), `${name} removed`);
    expectStatus(await b.api('GET', `/v1.0/recordings/${second.id}`), 404);
  });

  it('with node A closed, a download through B is 503 NODE_UNAVAILABLE, not a hang; the row still reads through B', async () => {
    const [first] = recordings;
    await a.close();
    const res = await download(b, first.id);
    assert.equal(res.status, 503, await res.clone().text());
    const body = (await res.json()) as { error: { reason: string; message: string } };
    assert.equal(body.error.reason, 'NODE_UNAVAILABLE');
    assert.match(body.error.message, new RegExp(`files-a-${run}`));
    const ranged = await download(b, first.id, 'bytes=0-9');
    assert.equal(ranged.status, 503);
    // One WAV is streamed, not zipped: its first chunk is read before the status line, so still a 503.
    for (const range of [undefined, 'bytes=300000-300009']) {
      const wav = await download(b, mix.recording.id, range);
      assert.equal(wav.status, 503, range);
      assert.equal(((await wav.json()) as { error: { reason: string } }).error.reason, 'NODE_UNAVAILABLE');
      assert.equal(wav.headers.get('content-range'), null);
    }
    expectStatus(await b.api('GET', `/v1.0/recordings/${first.id}`), 200);
  });
});
