import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MULAW_DECODE_TABLE, MULAW_ENCODE_TABLE } from '../codecs/index.ts';
import { sineTone } from '../testing/tones.ts';
import { openClient, startTestBot, TEST_START, until } from './testing/test-bot.ts';

function ulaw(pcm: Int16Array): Buffer {
  return Buffer.from(Array.from(pcm, (s) => MULAW_ENCODE_TABLE[s & 0xffff]!));
}

test('client: connected then start arrive in order with the handshake headers; media, dtmf and stop follow', async (t) => {
  const bot = await startTestBot();
  t.after(() => bot.close());
  const headers = { 'X-Callbin-Timestamp': '1700000000', 'X-Callbin-Signature': 'v1=abcd' };
  const { client, opened, ended, clock } = openClient(bot.url, { headers });
  assert.equal(client.state, 'connecting');
  await opened;
  assert.equal(client.state, 'open');
  client.sendStart(TEST_START);
  const c = await bot.connection();
  assert.equal(c.headers['user-agent'], 'callbin');
  assert.equal(c.headers['x-callbin-timestamp'], '1700000000');
  assert.equal(c.headers['x-callbin-signature'], 'v1=abcd');
  assert.deepEqual(await c.next(), { event: 'connected', protocol: 'Call', version: '1.0.0' });
  assert.deepEqual(await c.next(), {
    event: 'start',
    sequenceNumber: '1',
    streamSid: 'stream-1',
    start: {
      streamSid: 'stream-1',
      accountSid: 'customer-1',
      callSid: 'call-1',
      tracks: ['inbound', 'outbound'],
      customParameters: { greeting: 'hi' },
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      callbin: { call_id: 'call-1', activeflow_id: 'flow-1', stream_id: 'stream-1', variables: { name: 'Ada' } },
    },
  });

  const tone = sineTone(440, 60);
  for (let i = 0; i < 3; i++) client.sendAudio('inbound', tone.subarray(i * 160, (i + 1) * 160));
  client.sendAudio('outbound', tone.subarray(0, 160));
  client.sendDtmf('5');
  for (let i = 0; i < 3; i++) {
    const m = await c.next();
    assert.equal(m.event, 'media');
    assert.equal(m.sequenceNumber, String(2 + i));
    assert.equal(m.streamSid, 'stream-1');
    assert.deepEqual(
      { track: m.media.track, chunk: m.media.chunk, timestamp: m.media.timestamp },
      { track: 'inbound', chunk: String(i + 1), timestamp: String(i * 20) },
    );
    assert.deepEqual(Buffer.from(m.media.payload, 'base64'), ulaw(tone.subarray(i * 160, (i + 1) * 160)));
  }
  const out = await c.next();
  assert.deepEqual(
    [out.sequenceNumber, out.media.track, out.media.chunk, out.media.timestamp],
    ['5', 'outbound', '1', '0'],
  );
  assert.deepEqual(await c.next(), {
    event: 'dtmf',
    sequenceNumber: '6',
    streamSid: 'stream-1',
    dtmf: { track: 'inbound_track', digit: '5' },
  });

  await client.stop('hangup');
  assert.deepEqual(await c.next(), {
    event: 'stop',
    sequenceNumber: '7',
    streamSid: 'stream-1',
    stop: { accountSid: 'customer-1', callSid: 'call-1', reason: 'hangup' },
  });
  assert.equal((await c.closed).code, 1000);
  assert.deepEqual(await ended, { reason: 'local', variables: {} });
  assert.equal(client.state, 'closed');
  assert.equal(client.sentMessages, 8);
  assert.equal(client.droppedMessages, 0);
  assert.equal(clock.active, 0, 'no timer left');
  // Idempotent; nothing is sent once closed.
  await client.stop('again');
  client.sendAudio('inbound', tone.subarray(0, 160));
  assert.equal(client.sentMessages, 8);
  assert.throws(() => client.sendAudio('inbound', new Int16Array(100)), /160 samples/);
  assert.throws(() => client.sendDtmf('x'), /not a DTMF digit/);
});

test('client: the bot media lands in playout and its mark comes back after the audio was read', async (t) => {
  const bot = await startTestBot();
  t.after(() => bot.close());
  const { client, opened } = openClient(bot.url);
  await opened;
  client.sendStart(TEST_START);
  const c = await bot.connection();
  await c.next();
  await c.next();
  const tone = sineTone(440, 40);
  c.ws.send(
    JSON.stringify({ event: 'media', streamSid: 'stream-1', media: { payload: ulaw(tone).toString('base64') } }),
  );
  c.ws.send(JSON.stringify({ event: 'mark', streamSid: 'stream-1', mark: { name: 'm1' } }));
  await until(() => client.playout.pendingMarks === 1, 'the mark is queued');
  assert.equal(client.playout.queuedMs, 40);
  const marks: string[] = [];
  client.on('mark', (name) => marks.push(name));
  const frame = new Int16Array(160);
  client.playout.read(frame);
  assert.deepEqual(
    [...frame],
    Array.from(tone.subarray(0, 160), (s) => MULAW_DECODE_TABLE[MULAW_ENCODE_TABLE[s & 0xffff]!]),
  );
  assert.deepEqual(marks, []);
  client.playout.read(frame);
  assert.deepEqual(marks, ['m1']);
  assert.deepEqual(await c.next(), { event: 'mark', sequenceNumber: '2', streamSid: 'stream-1', mark: { name: 'm1' } });
  assert.equal(c.messages.length, 3, 'the mark was sent once, after its audio');
  await client.stop('stopped');
});

test('client: clear drops the queued audio and sends the pending marks back at once', async (t) => {
  const bot = await startTestBot();
  t.after(() => bot.close());
  const { client, opened } = openClient(bot.url);
  await opened;
  client.sendStart(TEST_START);
  const c = await bot.connection();
  await c.next();
  await c.next();
  const cleared = new Promise<void>((resolve) => client.on('clear', resolve));
  const second = ulaw(sineTone(300, 1000)).toString('base64');
  c.ws.send(JSON.stringify({ event: 'media', media: { payload: second } }));
  c.ws.send(JSON.stringify({ event: 'mark', mark: { name: 'a' } }));
  c.ws.send(JSON.stringify({ event: 'media', media: { payload: second } }));
  c.ws.send(JSON.stringify({ event: 'mark', mark: { name: 'b' } }));
  c.ws.send(JSON.stringify({ event: 'clear', streamSid: 'stream-1' }));
  await cleared;
  assert.equal(client.playout.queuedMs, 0);
  assert.deepEqual((await c.next()).mark, { name: 'a' });
  assert.deepEqual((await c.next()).mark, { name: 'b' });
  const frame = new Int16Array(160).fill(1);
  client.playout.read(frame);
  assert.deepEqual([...frame], new Array(160).fill(0));
  await client.stop('stopped');
});

test('client: continue ends the stream with the variables, a stop and a normal close', async (t) => {
  const bot = await startTestBot();
  t.after(() => bot.close());
  const { client, opened, ended, clock } = openClient(bot.url, { format: 'slin16' });
  await opened;
  client.sendStart(TEST_START);
  const c = await bot.connection();
  await c.next();
  assert.equal((await c.next()).start.mediaFormat.encoding, 'audio/l16');
  client.sendAudio('inbound', new Int16Array(160));
  assert.equal(Buffer.from((await c.next()).media.payload, 'base64').length, 640);
  c.ws.send(JSON.stringify({ event: 'continue', variables: { intent: 'billing', score: '0.9' } }));
  assert.deepEqual(await ended, { reason: 'bot_continue', variables: { intent: 'billing', score: '0.9' } });
  const stop = await c.next();
  assert.deepEqual([stop.event, stop.sequenceNumber, stop.stop.reason], ['stop', '3', 'bot_continue']);
  assert.equal((await c.closed).code, 1000);
  await client.stop('stopped');
  assert.equal(clock.active, 0);
});

test('client: the bot closing ends the stream with bot_closed', async (t) => {
  const bot = await startTestBot();
  t.after(() => bot.close());
  // A fragment is not sent (and does not stop the connection).
  const run = openClient(`${bot.url}#fragment`);
  await run.opened;
  run.client.sendStart(TEST_START);
  const c = await bot.connection();
  c.ws.close(1000, 'bye');
  assert.deepEqual(await run.ended, { reason: 'bot_closed', variables: {} });
  assert.equal(run.client.state, 'closed');
  await run.client.stop('stopped');
  assert.equal(run.ends, 1);
  assert.equal(run.clock.active, 0);
});
