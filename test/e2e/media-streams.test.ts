// Media streams (docs/media-streams.md) end to end: a sipp caller whose RTP is a socket of the test,
// callbin in this process, and the bot in a process of its own.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { signWebhook } from '../../src/events/index.ts';
import { activeflowOf, eventually } from '../support/flows-peers.ts';
import type { CustomerServer, FlowsCallbin } from '../support/flows-peers.ts';
import { dominantTone, mulawTone, pcmOfMulaw, runsOf } from '../support/stream-bot-process.ts';
import { type BotCallOptions, StreamCalls } from '../support/stream-calls.ts';

const PATTERN = [500, 800, 1100, 1400, 1700];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Resolves once `holds()` is true (polled every 100 ms), or throws after `timeoutMs`. */
const until = (holds: () => boolean, timeoutMs: number, what: string) =>
  eventually(async () => (holds() ? true : undefined), timeoutMs, what);

describe('media streams e2e: a voice bot on a live call', { concurrency: true }, () => {
  let calls: StreamCalls;
  let callbin: FlowsCallbin;
  let server: CustomerServer;

  before(async () => {
    calls = await StreamCalls.start(['/after-continue']);
    ({ callbin, server } = calls);
  });

  after(() => calls?.close());

  /** A call into a flow that answers, runs `before`, starts a stream to a new bot, then runs `next`; with the bot's `start`. */
  async function botCall(number: string, stream: Record<string, unknown>, options: BotCallOptions = {}) {
    const started = await calls.botCall(number, stream, options);
    const start = options.bot === false ? undefined : await started.bot.waitForEvent('start', 15_000);
    return { ...started, start };
  }

  it('1 the bot gets connected, start (call, activeflow, parameters, variables, tracks) and the caller audio in order', async () => {
    const { bot, caller, call, start, url } = await botCall(
      '+15550008801',
      {
        format: 'ulaw',
        direction_listen: 'in',
        direction_speak: '',
        data: '{"tenant":"acme","tier":"gold"}',
        variables: ['customer.name'],
      },
      { before: [{ type: 'variable_set', option: { key: 'customer.name', value: 'Alice' } }], path: '/bot?key=k1' },
    );
    const headers = bot.lines.find((l) => l.kind === 'connection')?.headers;
    assert.equal(headers['user-agent'], 'callbin');
    const ts = Number(headers['x-callbin-timestamp']);
    assert.equal(
      headers['x-callbin-signature'],
      signWebhook(callbin.customer.webhook_secret, url, ts)['X-Callbin-Signature'],
    );
    assert.deepEqual(bot.messages()[0], {
      event: 'connected',
      protocol: 'Call',
      version: '1.0.0',
      at: bot.messages()[0].at,
    });
    assert.equal(start.sequenceNumber, '1');
    assert.equal(start.start.streamSid, start.streamSid);
    assert.equal(start.start.accountSid, callbin.customer.id);
    assert.equal(start.start.callSid, call.id);
    assert.deepEqual(start.start.tracks, ['inbound']);
    assert.deepEqual(start.start.customParameters, { tenant: 'acme', tier: 'gold' });
    assert.deepEqual(start.start.mediaFormat, { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 });
    assert.deepEqual(start.start.callbin, {
      call_id: call.id,
      activeflow_id: call.activeflow_id,
      stream_id: start.streamSid,
      variables: { 'customer.name': 'Alice' },
    });

    await caller.say(Buffer.concat(PATTERN.map((hz) => mulawTone(hz, 200))));
    const decode = (): number[] =>
      bot.messages('media').map((m) => dominantTone(pcmOfMulaw(Buffer.from(m.media.payload, 'base64')), PATTERN));
    await eventually(async () => (runsOf(decode()).length >= PATTERN.length ? true : undefined), 10_000, 'the pattern');
    await sleep(200);
    const media = bot.messages('media');
    assert.deepEqual(
      media.map((m) => Number(m.media.chunk)),
      media.map((_, i) => i + 1),
      'chunks 1, 2, 3… without gaps',
    );
    for (const m of media) {
      assert.equal(m.streamSid, start.streamSid);
      assert.equal(m.media.track, 'inbound');
      assert.equal(m.media.timestamp, String((Number(m.media.chunk) - 1) * 20));
      assert.equal(Buffer.from(m.media.payload, 'base64').length, 160);
    }
    const numbered = bot.messages().slice(1);
    assert.deepEqual(
      numbered.map((m) => m.sequenceNumber),
      numbered.map((_, i) => String(i + 1)),
      'sequenceNumber counts every message from 1',
    );
    assert.deepEqual(runsOf(decode()), PATTERN, 'the caller audio arrives decoded, in order');
  });

  it('2 a 440 Hz tone from the bot reaches the caller; a mark after it comes back once it was played', async () => {
    const { bot, caller } = await botCall('+15550008802', {
      format: 'ulaw',
      direction_listen: 'in',
      direction_speak: 'in',
    });
    const tone = await bot.commandSent({ cmd: 'tone', hz: 440, ms: 1500 });
    await bot.commandSent({ cmd: 'mark', name: 'after-tone' });
    const mark = await bot.waitForEvent('mark', 10_000);
    await sleep(300);
    assert.equal(mark.mark.name, 'after-tone');
    const toneFrames = caller.heard.filter((f) => f.atMs >= tone.at && dominantTone(f.pcm, [440, 1000, 2000]) === 440);
    assert.ok(toneFrames.length >= 70 && toneFrames.length <= 76, `${toneFrames.length} frames of 440 Hz, 75 sent`);
    const lastToneAt = toneFrames.at(-1)?.atMs ?? 0;
    // docs/media-streams.md "Measured figures": from the bot's send to the caller's first frame of it.
    console.log(
      `start: the first tone frame reached the caller ${(toneFrames[0]?.atMs ?? 0) - tone.at} ms after the bot sent it`,
    );
    console.log(`mark: echoed ${mark.at - lastToneAt} ms after the last tone frame reached the caller`);
    // 100 ms of slack for stamping in two processes; a mark echoed when it arrived would be ~1.4 s early.
    assert.ok(
      mark.at >= lastToneAt - 100,
      `mark at ${mark.at}, the last tone frame reached the caller at ${lastToneAt}`,
    );
  });

  it('3 clear during a long tone silences the caller at once and returns the pending mark', async () => {
    const { bot, caller } = await botCall('+15550008803', { format: 'ulaw', direction_listen: 'in' });
    const tone = await bot.commandSent({ cmd: 'tone', hz: 440, ms: 10_000 });
    await bot.commandSent({ cmd: 'mark', name: 'end-of-long-tone' });
    await until(() => caller.heard.filter((f) => f.atMs >= tone.at && f.audible).length >= 25, 10_000, 'the tone');
    const clear = await bot.commandSent({ cmd: 'clear' });
    const mark = await bot.waitForEvent('mark', 5_000);
    assert.equal(mark.mark.name, 'end-of-long-tone');
    assert.ok(mark.at < tone.at + 9_000, 'the pending mark came back at the clear, not at the end of the tone');
    await sleep(1500);
    const late = caller.heard.filter((f) => f.audible && f.atMs > clear.at + 100);
    const firstSilent = caller.heard.find((f) => f.atMs >= clear.at && !f.audible);
    const lastAudible = caller.heard.filter((f) => f.audible).at(-1);
    console.log(
      `clear: first silent frame ${firstSilent ? firstSilent.atMs - clear.at : 'never'} ms after the bot sent clear ` +
        `(last audible frame at ${lastAudible ? lastAudible.atMs - clear.at : '-'} ms)`,
    );
    assert.equal(late.length, 0, `${late.length} audible frames more than 100 ms after clear`);
    assert.ok(firstSilent, 'the call goes on with silence');
  });

  it('4 DTMF from the caller reaches the bot as dtmf events with the digits', async () => {
    const { bot, caller } = await botCall('+15550008804', { format: 'ulaw', direction_listen: 'in' });
    await caller.dtmf('5');
    await caller.dtmf('9');
    await until(() => bot.messages('dtmf').length >= 2, 10_000, 'two dtmf events');
    await sleep(500);
    const dtmf = bot.messages('dtmf').map((m) => `${m.dtmf.track} ${m.dtmf.digit}`);
    assert.deepEqual(dtmf, ['inbound_track 5', 'inbound_track 9']);
  });

  it('5 the caller hangs up: the bot gets stop then a close 1000; webhooks carry started then stopped (hangup)', async () => {
    const { bot, call, sipp, start } = await botCall(
      '+15550008805',
      { format: 'ulaw', direction_listen: 'in' },
      { scenario: 'media-streams-caller-hangup.xml' },
    );
    const stop = await bot.waitForEvent('stop', 15_000);
    const close = await bot.waitFor((l) => l.kind === 'close', 5_000, 'the close');
    assert.equal((await sipp.exited).code, 0, 'the caller hung up');
    assert.deepEqual(stop.stop, { accountSid: callbin.customer.id, callSid: call.id, reason: 'hangup' });
    assert.equal(stop.streamSid, start.streamSid);
    assert.equal(close.code, 1000);
    assert.ok(close.at >= stop.at, 'stop came before the close');
    await until(() => calls.streamHooks(call.id).length >= 2, 15_000, 'external_media_stopped');
    const hooks = calls.streamHooks(call.id);
    assert.deepEqual(hooks.map((e) => e.type).join(), 'external_media_started,external_media_stopped');
    const stopped = hooks[1].data;
    assert.equal(stopped.id, start.streamSid);
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.stop_reason, 'hangup');
    assert.notEqual(stopped.tm_end, '');
  });

  it('6 an echo bot: a click burst from the caller comes back audible, at 8 kHz, within a second', async () => {
    const { bot, caller } = await botCall('+15550008806', { format: 'ulaw', direction_listen: 'in' });
    await bot.commandSent({ cmd: 'mode', mode: 'echo' });
    const sentAt = await caller.say(mulawTone(1000, 100));
    const back = await eventually(
      async () => caller.heard.find((f) => f.atMs >= sentAt && dominantTone(f.pcm, [1000, 500, 2000]) === 1000),
      3_000,
      'the echo',
    );
    console.log(`echo: round trip ${back.atMs - sentAt} ms (caller RTP → bot → caller RTP)`);
    assert.ok(back.atMs - sentAt < 1000, `round trip ${back.atMs - sentAt} ms`);
    assert.ok(back.audible);
  });

  it('7 sync + continue: the flow goes on with the bot variables and the call stays up', async () => {
    const { bot, call, start } = await botCall(
      '+15550008807',
      { format: 'ulaw', direction_listen: 'in', sync: true },
      {
        next: [
          {
            type: 'webhook_send',
            option: {
              uri: server.url('/after-continue'),
              data: '{"intent":"${bot.intent}","reason":"${voipbin.external_media.stop_reason}"}',
              sync: true,
            },
          },
          { type: 'sleep', option: { duration: 120_000 } },
        ],
      },
    );
    await sleep(1000);
    assert.equal(server.requestsTo('/after-continue').length, 0, 'the flow waits for the stream');
    await bot.commandSent({ cmd: 'continue', variables: { 'bot.intent': 'billing' } });
    const hook = await eventually(async () => server.requestsTo('/after-continue')[0], 10_000, 'the next action');
    assert.deepEqual(JSON.parse(hook.body), { intent: 'billing', reason: 'bot_continue' });
    await bot.waitFor((l) => l.kind === 'close', 5_000, 'the close');
    assert.equal((await callbin.api('GET', `/calls/${call.id}`)).body.status, 'progressing');
    const variables = (await activeflowOf(callbin, call.activeflow_id)).variables;
    assert.equal(variables['voipbin.external_media.id'], start.streamSid);
    assert.equal(variables['voipbin.external_media.stop_reason'], 'bot_continue');
  });

  it('8 GET /calls/{id}/media_stream: RTP and sln frames carrying the caller audio', async () => {
    const { caller, call } = await botCall('+15550008808', {}, { bot: false });
    const key = await callbin.api('POST', '/accesskeys', { name: 'listener' });
    assert.equal(key.status, 200, JSON.stringify(key.body));
    const base = `${callbin.apiUrl.replace(/^http/, 'ws')}/v1.0/calls/${call.id}/media_stream`;
    const listen = async (query: string) => {
      const frames: { binary: boolean; data: Buffer }[] = [];
      const ws = new WebSocket(`${base}?${query}&accesskey=${key.body.token}`);
      ws.on('message', (data: Buffer, binary: boolean) => frames.push({ binary, data }));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      calls.defer(async () => ws.terminate());
      return frames;
    };
    const rtp = await listen('encapsulation=rtp&track=in');
    const sln = await listen('encapsulation=sln&track=in');
    await caller.say(mulawTone(1200, 400));
    await sleep(1500);
    assert.ok(rtp.length >= 50 && sln.length >= 50, `${rtp.length} RTP and ${sln.length} sln frames in ~2 s`);
    assert.ok(rtp.every((f) => f.binary && f.data.length === 172 && f.data[0] === 0x80 && (f.data[1]! & 0x7f) === 0));
    const seqs = rtp.map((f) => f.data.readUInt16BE(2));
    assert.ok(
      seqs.every((s, i) => i === 0 || s === ((seqs[i - 1]! + 1) & 0xffff)),
      'RTP sequence numbers follow',
    );
    const rtpTone = rtp.filter((f) => dominantTone(pcmOfMulaw(f.data.subarray(12)), [1200, 600, 2400]) === 1200);
    assert.ok(rtpTone.length >= 15, `${rtpTone.length} RTP frames of the caller's 1200 Hz tone, 20 sent`);
    assert.ok(sln.every((f) => f.binary && f.data.length === 320));
    const pcm = (b: Buffer) => Int16Array.from({ length: 160 }, (_, i) => b.readInt16LE(i * 2));
    const slnTone = sln.filter((f) => dominantTone(pcm(f.data), [1200, 600, 2400]) === 1200);
    assert.ok(slnTone.length >= 15, `${slnTone.length} sln frames of the caller's 1200 Hz tone, 20 sent`);
  });
});
