import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { AppError, FakeClock, GuardedFetch, SsrfGuard, systemClock } from '../../shared/index.ts';
import type { Clock } from '../../shared/index.ts';
import { AudioLoader } from './index.ts';
import type { SpawnFn } from './index.ts';

const run = promisify(execFile);

/** Root mean square of 16-bit samples. */
function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/** Asserts that `promise` rejects with an AppError carrying `code`. */
async function rejectsCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof AppError && err.code === code);
}

/** A guarded client in local mode: the test server listens on loopback. */
const localHttp = (clock: Clock = systemClock): GuardedFetch =>
  new GuardedFetch({ guard: new SsrfGuard({ mode: 'local' }), clock });

describe('AudioLoader', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const files = new Map<string, Buffer>();
  let slowRequest: () => void = () => undefined;
  let spawns = 0;
  const countingSpawn: SpawnFn = (command, args, options) => {
    spawns++;
    return spawn(command, args, options);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callbin-player-'));
    const sine = ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'];
    await run('ffmpeg', [...sine, '-ar', '44100', '-ac', '2', join(dir, 'tone.wav')]);
    await run('ffmpeg', [...sine, '-ar', '44100', '-c:a', 'libmp3lame', '-b:a', '64k', join(dir, 'tone.mp3')]);
    await run('ffmpeg', [...sine, '-ar', '48000', '-c:a', 'libvorbis', join(dir, 'tone.ogg')]);
    for (const name of ['tone.wav', 'tone.mp3', 'tone.ogg']) files.set(`/${name}`, await readFile(join(dir, name)));
    files.set('/junk.bin', randomBytes(4096));
    server = createServer((req, res) => {
      const body = files.get(req.url ?? '');
      if (body) return void res.end(body);
      if (req.url === '/big-declared')
        return void res
          .writeHead(200, { 'content-length': String(3 * 1024 * 1024) })
          .end(Buffer.alloc(3 * 1024 * 1024));
      if (req.url === '/big-chunked') {
        res.writeHead(200);
        for (let i = 0; i < 48; i++) res.write(Buffer.alloc(64 * 1024));
        return void res.end();
      }
      if (req.url === '/slow') {
        res.writeHead(200, { 'content-type': 'audio/wav' });
        res.write(Buffer.alloc(100));
        return void slowRequest();
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  for (const [name, viaFfmpeg] of [
    ['tone.wav', false],
    ['tone.mp3', true],
    ['tone.ogg', true],
  ] as const) {
    it(`decodes ${name} served over HTTP to 2 s of non-silent 8 kHz audio (±100 ms)`, async () => {
      const loader = new AudioLoader({ spawn: countingSpawn, http: localHttp() });
      const before = spawns;
      const pcm = await loader.load(`${base}/${name}`);
      assert.ok(Math.abs(pcm.length - 16000) <= 800, `length ${pcm.length}`);
      assert.ok(rms(pcm) > 1000, `rms ${rms(pcm)}`);
      assert.equal(spawns - before, viaFfmpeg ? 1 : 0);
    });
  }

  it('never reads a local file: a path, a file:// URL or another scheme is INVALID_MEDIA_URL', async () => {
    const loader = new AudioLoader({ http: localHttp() });
    for (const source of [
      join(dir, 'tone.wav'),
      new URL(`file://${join(dir, 'tone.wav')}`).href,
      'data:audio/wav;base64,UklGRg==',
      'ftp://127.0.0.1/tone.wav',
      'http//nohost',
    ]) {
      await rejectsCode(loader.load(source), 'INVALID_MEDIA_URL');
    }
  });

  it('refuses a loopback URL by default (production-mode guard) with SSRF_BLOCKED', async () => {
    await rejectsCode(new AudioLoader().load(`${base}/tone.wav`), 'SSRF_BLOCKED');
  });

  it('serves the second fetch of the same content from the cache without decoding again', async () => {
    const loader = new AudioLoader({ spawn: countingSpawn, http: localHttp() });
    const before = spawns;
    const first = await loader.load(`${base}/tone.mp3`);
    const second = await loader.load(`${base}/tone.mp3`);
    assert.equal(second, first);
    assert.equal(loader.decodes, 1);
    assert.equal(spawns - before, 1);
  });

  it('shares one decode between identical concurrent loads', async () => {
    const loader = new AudioLoader({ spawn: countingSpawn, http: localHttp() });
    const before = spawns;
    const [a, b] = await Promise.all([loader.load(`${base}/tone.ogg`), loader.load(`${base}/tone.ogg`)]);
    assert.equal(a, b);
    assert.equal(spawns - before, 1);
  });

  it('refuses bodies over the byte limit, declared or streamed, with MEDIA_TOO_LARGE', async () => {
    const loader = new AudioLoader({ http: localHttp() });
    await rejectsCode(loader.load(`${base}/big-declared`, { maxBytes: 1024 * 1024 }), 'MEDIA_TOO_LARGE');
    await rejectsCode(loader.load(`${base}/big-chunked`, { maxBytes: 1024 * 1024 }), 'MEDIA_TOO_LARGE');
  });

  it('gives up on a server that stalls with MEDIA_TIMEOUT when the time limit passes', async () => {
    const clock = new FakeClock();
    const loader = new AudioLoader({ clock, http: localHttp(clock) });
    const requested = new Promise<void>((resolve) => (slowRequest = resolve));
    const load = loader.load(`${base}/slow`, { timeoutMs: 5000 });
    await requested;
    clock.advance(5000);
    await rejectsCode(load, 'MEDIA_TIMEOUT');
  });

  it('reports 404 and refused connections as MEDIA_FETCH_FAILED', async () => {
    const loader = new AudioLoader({ http: localHttp() });
    await rejectsCode(loader.load(`${base}/missing.wav`), 'MEDIA_FETCH_FAILED');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await rejectsCode(loader.load(`http://127.0.0.1:${port}/x.wav`), 'MEDIA_FETCH_FAILED');
  });

  it('reports undecodable bytes as MEDIA_DECODE_FAILED', async () => {
    const loader = new AudioLoader({ http: localHttp() });
    await rejectsCode(loader.load(`${base}/junk.bin`), 'MEDIA_DECODE_FAILED');
  });
});
