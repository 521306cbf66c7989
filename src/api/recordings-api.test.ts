import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { EventHub, EventPublisher } from '../events/index.ts';
import { repairWav } from '../media/index.ts';
import {
  LocalRecordingStorage,
  RecordingService,
  type CaptureResult,
  type Recording,
  type RecordingSource,
} from '../recordings/index.ts';
import { newId, silentLogger, systemClock } from '../shared/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { RecordingStoreAdapter } from '../telephony/persistence/recording-store-adapter.ts';
import { buildServer, ensureProjectAdmin } from './index.ts';

/** Writes fixed bytes per file, as a real capture would write WAVs. */
function fixedSource(layout: 'split' | 'mix', contents: Buffer[]): RecordingSource {
  return {
    layout,
    start: async (basePath) => {
      const paths = layout === 'split' ? [`${basePath}_in.wav`, `${basePath}_out.wav`] : [`${basePath}.wav`];
      await Promise.all(paths.map((p, i) => writeFile(p, contents[i] ?? Buffer.alloc(0))));
      return { stop: async (): Promise<CaptureResult> => ({ reason: 'manual', durationSec: 1 }) };
    },
  };
}

interface Res {
  status: number;
  headers: Record<string, unknown>;
  raw: Buffer;
  body: any;
}

describe('api: /recordings and /recordingfiles over the real service, store and disk', () => {
  let dir = '';
  let store: Store;
  let service: RecordingService;
  let app: FastifyInstance;
  let adminKey = '';
  let a: { id: string; key: string };
  let b: { id: string; key: string };

  const request = async (
    method: string,
    url: string,
    key: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ): Promise<Res> => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: `Bearer ${key}`,
        ...headers,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode, headers: res.headers, raw: res.rawPayload, body: parsed };
  };
  const newCustomer = async (name: string) => {
    const c = await request('POST', '/v1.0/customers', adminKey, {}, { name });
    const k = await request('POST', '/v1.0/accesskeys', adminKey, {}, { name: 'k', customer_id: c.body.id });
    return { id: c.body.id as string, key: k.body.token as string };
  };
  const record = async (
    customerId: string,
    layout: 'split' | 'mix',
    contents: Buffer[],
    referenceId = newId(),
  ): Promise<Recording> => {
    const started = await service.startRecording({
      reference_type: layout === 'split' ? 'call' : 'conference',
      reference_id: referenceId,
      customer_id: customerId,
      source: fixedSource(layout, contents),
    });
    const ended = await service.stopRecording(started.id);
    assert.ok(ended);
    return ended;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callbin-rec-api-'));
    store = await openStore({ dataDir: dir, clock: systemClock });
    const admin = await ensureProjectAdmin(store, { dataDir: dir, adminKey: '' });
    assert.ok(admin);
    adminKey = admin.accessKey;
    const hub = new EventHub();
    const records = new RecordingStoreAdapter({ store, events: new EventPublisher({ hub }) });
    service = new RecordingService({
      store: records,
      storage: new LocalRecordingStorage({ dir: join(dir, 'recordings'), repairWav }),
      clock: systemClock,
    });
    app = await buildServer({
      store,
      clock: systemClock,
      logger: silentLogger,
      jwtSecret: randomBytes(32),
      sipDomain: 'sip.test',
      mode: 'local',
      rateLimitPerSec: 100_000,
      rateLimitBurst: 100_000,
      events: hub,
      recordings: { service, records },
    });
    a = await newCustomer('A');
    b = await newCustomer('B');
  });
  after(async () => {
    await service.close();
    await app.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('one file is audio/wav with Content-Length; Range gives 206 with Content-Range; a bad range is 416', async () => {
    const wav = randomBytes(1000);
    const rec = await record(a.id, 'mix', [wav]);
    const whole = await request('GET', `/v1.0/recordingfiles/${rec.id}`, a.key);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['content-type'], 'audio/wav');
    assert.equal(whole.headers['content-length'], '1000');
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.deepEqual(whole.raw, wav);
    const part = await request('GET', `/v1.0/recordingfiles/${rec.id}`, a.key, { range: 'bytes=10-19' });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], 'bytes 10-19/1000');
    assert.equal(part.headers['content-length'], '10');
    assert.deepEqual(part.raw, wav.subarray(10, 20));
    const suffix = await request('GET', `/v1.0/recordingfiles/${rec.id}`, a.key, { range: 'bytes=-5' });
    assert.equal(suffix.status, 206);
    assert.deepEqual(suffix.raw, wav.subarray(995));
    const open = await request('GET', `/v1.0/recordingfiles/${rec.id}`, a.key, { range: 'bytes=990-' });
    assert.equal(open.headers['content-range'], 'bytes 990-999/1000');
    for (const bad of ['bytes=1000-1001', 'bytes=20-10', 'bytes=x-3']) {
      const res = await request('GET', `/v1.0/recordingfiles/${rec.id}`, a.key, { range: bad });
      assert.equal(res.status, 416, bad);
      assert.equal(res.headers['content-range'], 'bytes */1000');
    }
  });

  it('two files are one application/zip that unzip accepts, with each file intact; a range of the zip is its slice', async (t) => {
    const said = randomBytes(3000);
    const heard = randomBytes(2500);
    const rec = await record(a.id, 'split', [said, heard]);
    const zip = await request('GET', `/v1.0/recordingfiles/${rec.id}`, a.key);
    assert.equal(zip.status, 200);
    assert.equal(zip.headers['content-type'], 'application/zip');
    assert.equal(Number(zip.headers['content-length']), zip.raw.length);
    const out = await mkdtemp(join(tmpdir(), 'callbin-unzip-'));
    t.after(() => rm(out, { recursive: true, force: true }));
    await writeFile(join(out, 'r.zip'), zip.raw);
    const check = spawnSync('unzip', ['-o', '-q', 'r.zip', '-d', 'x'], { cwd: out, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    assert.deepEqual((await readdir(join(out, 'x'))).sort(), rec.filenames);
    assert.deepEqual(await readFile(join(out, 'x', `${rec.id}_in.wav`)), said);
    assert.deepEqual(await readFile(join(out, 'x', `${rec.id}_out.wav`)), heard);
    const slice = await request('GET', `/v1.0/recordingfiles/${rec.id}`, a.key, { range: 'bytes=20-3199' });
    assert.equal(slice.status, 206);
    assert.deepEqual(slice.raw, zip.raw.subarray(20, 3200));
  });

  it("customer B cannot list, get, download or delete customer A's recording (404 RECORDING_NOT_FOUND)", async () => {
    const callId = newId();
    const rec = await record(a.id, 'split', [randomBytes(10), randomBytes(10)], callId);
    for (const [method, url] of [
      ['GET', `/v1.0/recordings/${rec.id}`],
      ['GET', `/v1.0/recordingfiles/${rec.id}`],
      ['DELETE', `/v1.0/recordings/${rec.id}`],
    ] as const) {
      const res = await request(method, url, b.key);
      assert.equal(res.status, 404, `${method} ${url}`);
      assert.equal(res.body.error.reason, 'RECORDING_NOT_FOUND');
    }
    const listB = await request('GET', '/v1.0/recordings', b.key);
    assert.deepEqual(listB.body.result, []);
    const listA = await request('GET', `/v1.0/recordings?reference_id=${callId}`, a.key);
    assert.deepEqual(listA.body, { result: [rec], next_page_token: '' });
    assert.deepEqual((await request('GET', `/v1.0/recordings/${rec.id}`, a.key)).body, rec);
  });

  it('DELETE removes the files and hides the recording; a live recording cannot be downloaded yet (409)', async () => {
    const rec = await record(a.id, 'split', [randomBytes(10), randomBytes(10)]);
    assert.ok((await readdir(join(dir, 'recordings'))).includes(`${rec.id}_in.wav`));
    const deleted = await request('DELETE', `/v1.0/recordings/${rec.id}`, a.key);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    const left = await readdir(join(dir, 'recordings'));
    assert.ok(rec.filenames.every((f) => !left.includes(f)));
    assert.equal((await request('GET', `/v1.0/recordings/${rec.id}`, a.key)).status, 404);
    assert.equal((await request('GET', `/v1.0/recordingfiles/${rec.id}`, a.key)).status, 404);
    const live = await service.startRecording({
      reference_type: 'call',
      reference_id: newId(),
      customer_id: a.id,
      source: fixedSource('split', []),
    });
    const early = await request('GET', `/v1.0/recordingfiles/${live.id}`, a.key);
    assert.equal(early.status, 409);
    assert.equal(early.body.error.reason, 'RECORDING_NOT_ENDED');
    await service.stopRecording(live.id);
  });

  it('the outbox has recording_started then recording_finished with each file size and sha256', async () => {
    const rec = await record(a.id, 'mix', [Buffer.from('abc')]);
    const events = await store.outbox.listForResource('recording', rec.id);
    assert.deepEqual(
      events.map((e) => [e.seq, e.type]),
      [
        [1, 'recording_started'],
        [2, 'recording_finished'],
      ],
    );
    assert.deepEqual((events[1]?.data as Recording).files, [
      {
        filename: `${rec.id}.wav`,
        bytes: 3,
        sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      },
    ]);
  });
});
