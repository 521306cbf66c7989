import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock, type Logger } from '../../shared/index.ts';
import { HoldMusic } from './hold-music.ts';

const BUILT_IN = new Int16Array(800).fill(1);

function harness(files: Record<string, Int16Array | Error>, customerUrl = '') {
  const clock = new FakeClock();
  const loads: string[] = [];
  const warnings: string[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (_o, msg) => void warnings.push(String(msg)),
    error: () => {},
    child() {
      return this;
    },
  };
  const music = new HoldMusic({
    load: async (url) => {
      loads.push(url);
      const file = files[url];
      if (!file) throw new Error(`404 ${url}`);
      if (file instanceof Error) throw file;
      return file;
    },
    customerMohUrl: async () => customerUrl,
    builtIn: BUILT_IN,
    clock,
    logger,
  });
  return { clock, loads, warnings, music };
}

test("hold music: the call's own moh_url, else the customer's, else the built-in music", async () => {
  const own = new Int16Array(1600).fill(7);
  const customers = new Int16Array(1600).fill(9);
  const h = harness({ 'http://m/own.wav': own, 'http://m/cust.wav': customers }, 'http://m/cust.wav');
  assert.equal(await h.music.forCall('call-1', 'http://m/own.wav'), own);
  assert.equal(await h.music.forCall('call-1'), customers);
  assert.equal(await h.music.forCall(undefined), BUILT_IN, 'a leg of no call has no customer');
  const none = harness({});
  assert.equal(await none.music.forCall('call-1'), BUILT_IN);
  assert.deepEqual(none.loads, []);
});

test('hold music: a file is fetched once and kept ten minutes; concurrent holds share one fetch', async () => {
  const tone = new Int16Array(1600).fill(3);
  const h = harness({ 'http://m/a.wav': tone });
  const both = await Promise.all([h.music.forCall('c1', 'http://m/a.wav'), h.music.forCall('c2', 'http://m/a.wav')]);
  assert.deepEqual(both, [tone, tone]);
  h.clock.advance(9 * 60_000);
  await h.music.forCall('c3', 'http://m/a.wav');
  assert.deepEqual(h.loads, ['http://m/a.wav']);
  h.clock.advance(60_000);
  await h.music.forCall('c3', 'http://m/a.wav');
  assert.deepEqual(h.loads, ['http://m/a.wav', 'http://m/a.wav'], 'fetched again after ten minutes');
});

test('hold music: an unreachable, refused or too short file falls back to the built-in music, logged, retried after a minute', async () => {
  const h = harness({ 'http://m/refused.wav': new Error('SSRF_BLOCKED'), 'http://m/short.wav': new Int16Array(10) });
  assert.equal(await h.music.forCall('c1', 'http://m/missing.wav'), BUILT_IN);
  assert.equal(await h.music.forCall('c1', 'http://m/refused.wav'), BUILT_IN);
  assert.equal(await h.music.forCall('c1', 'http://m/short.wav'), BUILT_IN);
  assert.equal(h.warnings.length, 3);
  assert.match(h.warnings[0] ?? '', /built-in music plays/);
  await h.music.forCall('c2', 'http://m/missing.wav');
  assert.equal(h.loads.length, 3, 'a failed URL is not fetched again at once');
  h.clock.advance(60_000);
  await h.music.forCall('c2', 'http://m/missing.wav');
  assert.equal(h.loads.length, 4, 'but again after a minute');
});

test('hold music: a customer lookup that fails plays the built-in music', async () => {
  const music = new HoldMusic({
    load: async () => new Int16Array(1600),
    customerMohUrl: async () => {
      throw new Error('store closed');
    },
    builtIn: BUILT_IN,
    clock: new FakeClock(),
  });
  assert.equal(await music.forCall('c1'), BUILT_IN);
});
