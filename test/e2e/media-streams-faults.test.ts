// Media streams (docs/media-streams.md) when the bot misbehaves or cannot be reached: each fault ends
// the stream with its stop reason, and the call goes on.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  createProvider,
  createRoute,
  expectStatus,
  startSippProvider,
  startTestCallbin,
  waitForCall,
} from '../support/callbin.ts';
import { activeflowOf, eventually } from '../support/flows-peers.ts';
import type { CustomerServer, FlowsCallbin } from '../support/flows-peers.ts';
import { newId } from '../../src/shared/index.ts';
import { StreamBot } from '../support/stream-bot-process.ts';
import { type BotCallOptions, StreamCalls } from '../support/stream-calls.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A loopback TCP port nobody listens on (bound, read back, closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('media streams e2e: faults of the bot', { concurrency: true }, () => {
  let calls: StreamCalls;
  let callbin: FlowsCallbin;
  let server: CustomerServer;

  before(async () => {
    calls = await StreamCalls.start(['/after-close', '/connect-failed']);
    ({ callbin, server } = calls);
  });

  after(() => calls?.close());

  /** A call into a flow that answers, starts a µ-law stream of the caller (to a new bot unless `url` is given), then runs `next`. */
  const botCall = (number: string, stream: Record<string, unknown>, options: BotCallOptions = {}) =>
    calls.botCall(number, { format: 'ulaw', direction_listen: 'in', ...stream }, options);

  /** The `external_media_stopped` webhook of the call (waits up to `timeoutMs`); returns its stream. */
  const stopped = (callId: string, timeoutMs: number): Promise<any> =>
    eventually(
      async () => calls.streamHooks(callId).find((e) => e.type === 'external_media_stopped')?.data,
      timeoutMs,
      `external_media_stopped of call ${callId}`,
    );

  /** The close code the bot sees for each reason (docs/media-streams.md "How a stream ends"). */
  const CLOSE_CODES: Record<string, number> = { protocol_error: 1002, frame_too_large: 1009 };

  /** A running stream whose bot does `fault`: ends with `reason` (and its close code), and the call is still up. */
  async function faultEnds(
    number: string,
    fault: Parameters<StreamBot['command']>[0],
    reason: string,
    ready: (bot: StreamBot) => Promise<unknown> = async () => undefined,
  ) {
    const { bot, call } = await botCall(number, {});
    await bot.waitForEvent('start', 15_000);
    await ready(bot);
    await bot.commandSent(fault);
    const stream = await stopped(call.id, 40_000);
    assert.equal(stream.stop_reason, reason, JSON.stringify(stream));
    assert.equal(stream.status, 'stopped');
    assert.equal((await callbin.api('GET', `/calls/${call.id}`)).body.status, 'progressing', 'the call goes on');
    if (CLOSE_CODES[reason] !== undefined) {
      const close = await bot.waitFor((l) => l.kind === 'close', 5_000, 'the close');
      assert.equal(close.code, CLOSE_CODES[reason]);
    }
    if (reason === 'protocol_error') assert.equal(bot.messages('stop')[0]?.stop.reason, reason, 'stop came first');
    return { bot, call };
  }

  it('the bot closes mid-call: bot_closed, the next action runs and sees it, the call stays up', async () => {
    const { bot, call } = await botCall(
      '+15550008901',
      { sync: true },
      {
        next: [
          {
            type: 'webhook_send',
            option: { uri: server.url('/after-close'), data: '${voipbin.external_media.stop_reason}', sync: true },
          },
          { type: 'sleep', option: { duration: 120_000 } },
        ],
      },
    );
    await bot.waitForEvent('start', 15_000);
    await bot.commandSent({ cmd: 'close', code: 1000, reason: 'bye' });
    const next = await eventually(async () => server.requestsTo('/after-close')[0], 10_000, 'the next action');
    assert.equal(next.body, 'bot_closed');
    assert.equal((await stopped(call.id, 10_000)).stop_reason, 'bot_closed');
    await sleep(500);
    assert.equal((await callbin.api('GET', `/calls/${call.id}`)).body.status, 'progressing', 'the call goes on');
  });

  it('garbage text from the bot: protocol_error', async () => {
    await faultEnds('+15550008902', { cmd: 'garbage' }, 'protocol_error');
  });

  it('a binary frame from the bot: protocol_error', async () => {
    await faultEnds('+15550008903', { cmd: 'binary' }, 'protocol_error');
  });

  it('an unknown event and a wrong streamSid are protocol errors too', async () => {
    await faultEnds('+15550008904', { cmd: 'send', data: { event: 'dance' } }, 'protocol_error');
    await faultEnds(
      '+15550008905',
      { cmd: 'send', data: { event: 'mark', streamSid: 'MZ-not-this-one', mark: { name: 'x' } } },
      'protocol_error',
    );
  });

  it('a 300 KiB text frame from the bot: frame_too_large', async () => {
    await faultEnds('+15550008906', { cmd: 'oversize', bytes: 300 * 1024 }, 'frame_too_large');
  });

  it('a bot that accepts TCP and never answers the upgrade: handshake_timeout (10 s)', async () => {
    const { bot, call } = await botCall('+15550008907', {}, { noHandshake: true });
    const stream = await stopped(call.id, 30_000);
    assert.equal(stream.stop_reason, 'handshake_timeout', JSON.stringify(stream));
    assert.ok(
      bot.lines.some((l) => l.kind === 'tcp-data'),
      'the upgrade request reached the bot',
    );
    await bot.waitFor((l) => l.kind === 'tcp-close', 5_000, 'callbin to drop the connection');
    assert.equal((await callbin.api('GET', `/calls/${call.id}`)).body.status, 'progressing', 'the call goes on');
  });

  it('a bot that stops reading and answering pings: stalled', async () => {
    // Pings answered while the bot reads keep the stream up; then the bot stops reading.
    await faultEnds('+15550008908', { cmd: 'stall' }, 'stalled', (bot) =>
      bot.waitFor((l) => l.kind === 'ping', 15_000, 'a ping from callbin'),
    );
  });

  it('an unreachable bot: connect_failed, and a branch on voipbin.external_media.stop_reason acts on it', async () => {
    const url = `ws://127.0.0.1:${await closedPort()}/bot`;
    const failed = newId();
    const { call } = await botCall(
      '+15550008909',
      { sync: true },
      {
        url,
        next: [
          {
            type: 'branch',
            option: { variable: 'voipbin.external_media.stop_reason', target_ids: { connect_failed: failed } },
          },
          { type: 'sleep', option: { duration: 120_000 } },
          {
            id: failed,
            type: 'webhook_send',
            option: { uri: server.url('/connect-failed'), data: 'the bot is down', sync: true },
          },
          { type: 'sleep', option: { duration: 120_000 } },
        ],
      },
    );
    const branch = await eventually(async () => server.requestsTo('/connect-failed')[0], 15_000, 'the branch');
    assert.equal(branch.body, 'the bot is down');
    const stream = await stopped(call.id, 10_000);
    assert.equal(stream.stop_reason, 'connect_failed');
    assert.equal(stream.tm_start, '');
    const variables = (await activeflowOf(callbin, call.activeflow_id)).variables;
    assert.equal(variables['voipbin.external_media.id'], stream.id);
  });

  it('production mode: POST /calls/{id}/external_media refuses ws:// URLs of loopback and private hosts', async () => {
    const cb = await startTestCallbin({ mode: 'production' });
    calls.defer(() => cb.close());
    const bot = await StreamBot.start();
    calls.defer(() => bot.stop());
    const provider = await startSippProvider('uas');
    calls.defer(() => provider.sipp.stop());
    await createRoute(cb, await createProvider(cb, provider.port), 1, '+1');
    const [created] = expectStatus(
      await cb.api('POST', '/v1.0/calls', {
        source: { type: 'tel', target: '+15550001000' },
        destinations: [{ type: 'tel', target: '+15550002100' }],
        actions: [{ type: 'sleep', option: { duration: 60_000 } }],
      }),
      200,
    ).calls;
    calls.defer(() => cb.api('POST', `/v1.0/calls/${created.id}/hangup`));
    await waitForCall(cb, created.id, (c) => c.status === 'progressing');
    for (const url of [bot.url(), `ws://10.1.2.3:${bot.port}/bot`, `ws://[::1]:${bot.port}/bot`]) {
      const res = await cb.api('POST', `/v1.0/calls/${created.id}/external_media`, {
        external_host: url,
        format: 'ulaw',
        direction_listen: 'in',
        direction_speak: 'in',
      });
      assert.equal(res.status, 400, `${url}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      const details = (res.body.error?.details ?? []).map((d: any) => `${d.field} ${d.reason}`);
      assert.deepEqual(details, ['external_host INVALID_STREAM_URL'], `${url}: ${JSON.stringify(res.body)}`);
    }
    await sleep(300);
    assert.equal(bot.lines.filter((l) => l.kind === 'connection').length, 0, 'nothing connected to the bot');
  });
});
