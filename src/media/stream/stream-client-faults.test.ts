import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, LookupFunction, Server, Socket } from 'node:net';
import { AppError, systemClock } from '../../shared/index.ts';
import { MediaStreamClient } from './stream-client.ts';
import { openClient, startTestBot, TEST_START } from './testing/test-bot.ts';
import type { BotConnection, ClientUnderTest } from './testing/test-bot.ts';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A bot that accepted the stream and read `connected` and `start`. */
async function started(
  t: { after: (fn: () => Promise<void>) => void },
  options: Parameters<typeof openClient>[1] = {},
): Promise<{ run: ClientUnderTest; c: BotConnection }> {
  const bot = await startTestBot();
  t.after(() => bot.close());
  const run = openClient(bot.url, options);
  await run.opened;
  run.client.sendStart(TEST_START);
  const c = await bot.connection();
  await c.next();
  await c.next();
  return { run, c };
}

/** Stops an open stream: it ends `local`, once, with no timer left. */
async function endedWithStop(run: ClientUnderTest): Promise<void> {
  await run.client.stop('stopped');
  await endedWith(run, 'local');
}

/** The stream ended once with `reason`, stopped every timer and lets stop() resolve. */
async function endedWith(run: ClientUnderTest, reason: string): Promise<void> {
  assert.equal((await run.ended).reason, reason);
  assert.equal(run.client.state, 'closed');
  await run.client.stop('stopped');
  assert.equal(run.ends, 1);
  assert.equal(run.clock.active, 0, 'no timer left');
}

test('faults: a server that accepts TCP but never answers the upgrade is handshake_timeout', async (t) => {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('data', () => {});
    s.on('close', () => sockets.delete(s));
  });
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = await listen(server);
  const run = openClient(`ws://127.0.0.1:${port}/`, { limits: { handshakeMs: 300 } });
  await endedWith(run, 'handshake_timeout');
  for (let i = 0; i < 500 && sockets.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(sockets.size, 0, 'the connection was closed');
});

test('faults: a refused port, a non-101 answer and a redirect are connect_failed', async (t) => {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await endedWith(openClient(`ws://127.0.0.1:${port}/`), 'connect_failed');

  const refusing = await startTestBot({ verifyClient: () => false });
  t.after(() => refusing.close());
  await endedWith(openClient(refusing.url), 'connect_failed');

  const redirect = createServer((s) => {
    s.once('data', () => s.end('HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:1/\r\nContent-Length: 0\r\n\r\n'));
  });
  t.after(() => new Promise<void>((resolve) => redirect.close(() => resolve())));
  await endedWith(openClient(`ws://127.0.0.1:${await listen(redirect)}/`), 'connect_failed');
});

test('faults: a lookup that refuses is connect_failed and nothing reaches the server', async (t) => {
  const bot = await startTestBot();
  t.after(() => bot.close());
  const asked: string[] = [];
  const lookup: LookupFunction = (hostname, _options, callback) => {
    asked.push(hostname);
    callback(new AppError('SSRF_BLOCKED', 'internal address'), '', 0);
  };
  await endedWith(openClient(`ws://localhost:${bot.port}/stream`, { lookup }), 'connect_failed');
  assert.deepEqual(asked, ['localhost']);
  assert.equal(bot.tcpConnections, 0);
});

test('faults: garbage text is protocol_error: a stop, then close 1002', async (t) => {
  const { run, c } = await started(t);
  c.ws.send('this is not JSON {');
  await endedWith(run, 'protocol_error');
  assert.equal((await c.next()).stop.reason, 'protocol_error');
  assert.equal((await c.closed).code, 1002);
});

test('faults: a binary frame or another stream id is protocol_error', async (t) => {
  const binary = await started(t);
  binary.c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  await endedWith(binary.run, 'protocol_error');
  assert.equal((await binary.c.closed).code, 1002);
  const other = await started(t);
  other.c.ws.send(JSON.stringify({ event: 'clear', streamSid: 'someone-else' }));
  await endedWith(other.run, 'protocol_error');
});

test('faults: a frame over maxFrameBytes is frame_too_large (close 1009)', async (t) => {
  const { run, c } = await started(t, { limits: { maxFrameBytes: 4096 } });
  c.ws.send(JSON.stringify({ event: 'media', media: { payload: 'A'.repeat(8000) } }));
  await endedWith(run, 'frame_too_large');
  assert.equal((await c.closed).code, 1009);
});

test('faults: audio queued beyond maxQueuedMs is playback_overflow', async (t) => {
  const { run, c } = await started(t, { limits: { maxQueuedMs: 100 } });
  const payload = Buffer.alloc(800, 0xff).toString('base64'); // 100 ms
  c.ws.send(JSON.stringify({ event: 'media', media: { payload } }));
  c.ws.send(JSON.stringify({ event: 'media', media: { payload } }));
  await endedWith(run, 'playback_overflow');
  assert.equal(run.client.playout.queuedMs, 100);
  assert.equal((await c.next()).stop.reason, 'playback_overflow');
});

test('faults: a bot that does not answer pings is stalled', async (t) => {
  const bot = await startTestBot({ autoPong: false });
  t.after(() => bot.close());
  const run = openClient(bot.url, { limits: { pingMs: 30, pongTimeoutMs: 200 } });
  await run.opened;
  const c = await bot.connection();
  let pings = 0;
  c.ws.on('ping', () => pings++);
  await endedWith(run, 'stalled');
  assert.ok(pings >= 2, `pings seen: ${pings}`);
  await c.closed;
});

test('faults: a bot that answers pings is not stalled', async (t) => {
  const { run, c } = await started(t, { limits: { pingMs: 20, pongTimeoutMs: 1000 } });
  // Seventy pings answered span more than the pong timeout; an end before that fails the test.
  const pinged = new Promise<string>((resolve) => {
    let pings = 0;
    c.ws.on('ping', () => ++pings === 70 && resolve('pinged'));
  });
  assert.equal(await Promise.race([pinged, run.ended.then((e) => e.reason)]), 'pinged');
  assert.equal(run.client.state, 'open');
  await endedWithStop(run);
});

test('faults: outbound back-pressure drops the oldest media within a bounded list, and stop still ends', async (t) => {
  const { run, c } = await started(t, {
    format: 'slin16',
    limits: { highWaterBytes: 16 * 1024, maxPendingMessages: 8 },
  });
  // The bot stops reading: the kernel buffers fill, then the socket's own buffer.
  (c.ws as unknown as { _socket: Socket })._socket.pause();
  const frame = new Int16Array(160).fill(1000);
  let most = 0;
  for (let round = 0; round < 400 && run.client.droppedMessages === 0; round++) {
    for (let i = 0; i < 100; i++) {
      run.client.sendAudio('inbound', frame);
      most = Math.max(most, run.client.pendingMessages);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(run.client.droppedMessages > 0, 'media was dropped');
  assert.ok(most <= 8, `pending stayed within the bound: ${most}`);
  run.client.sendDtmf('1');
  assert.ok(run.client.pendingMessages <= 8);
  await run.client.stop('hangup');
  assert.deepEqual(await run.ended, { reason: 'local', variables: {} });
  assert.equal(run.clock.active, 0);
  // Reading again, the bot gets what was buffered, then the end of the connection.
  (c.ws as unknown as { _socket: Socket })._socket.resume();
  await c.closed;
  const sequence = c.messages.map((m: any) => Number(m.sequenceNumber ?? 0));
  assert.ok(
    sequence.every((n, i) => i === 0 || n > sequence[i - 1]!),
    'what arrived is in order',
  );
});

test('faults: stop while connecting ends at once; bad URLs and an early start are refused', async (t) => {
  const server = createServer(() => {});
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = await listen(server);
  const run = openClient(`ws://127.0.0.1:${port}/`);
  assert.throws(
    () => run.client.sendStart(TEST_START),
    (err: unknown) => err instanceof AppError,
  );
  await run.client.stop('stopped');
  await endedWith(run, 'local');
  for (const url of ['http://example.com/', 'not a url']) {
    assert.throws(
      () => new MediaStreamClient({ url, headers: {}, format: 'ulaw', clock: systemClock }),
      (err: unknown) => err instanceof AppError && err.code === 'INVALID_STREAM_URL',
    );
  }
});
