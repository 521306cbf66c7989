import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { act } from '../testing/action-ids.ts';
import { EngineHarness } from '../testing/engine-harness.ts';
import { waitFor } from '../testing/fake-ports.ts';

const BOT = 'wss://bot.example.com/media?token=s3cret';

describe('external_media_start and external_media_stop', () => {
  test('answers first and hands the port the resolved request', async () => {
    const h = new EngineHarness();
    const id = await h.startCall(
      [
        act(1, 'external_media_start', {
          external_host: 'wss://bot.example.com/${path}',
          format: 'slin16',
          direction_listen: 'both',
          direction_speak: '',
          data: '{"lang":"${lang}","n":3}',
          variables: ['customer', 'voipbin.call.id', 'unset'],
        }),
      ],
      { status: 'ringing', variables: { path: 'v1', lang: 'de', customer: 'ACME' } },
    );
    const af = await h.ended(id);
    assert.deepEqual(h.calls.log.slice(0, 2), ['answer call-1', 'mediaStreamStart call-1']);
    assert.deepEqual(h.calls.streams[0]?.request, {
      url: 'wss://bot.example.com/v1',
      format: 'slin16',
      listen: 'both',
      speak: '',
      custom_parameters: { lang: 'de', n: '3' },
      variables: { customer: 'ACME', 'voipbin.call.id': 'call-1', unset: '' },
      activeflow_id: id,
    });
    assert.equal(af.variables['voipbin.external_media.id'], 'stream-1');
    assert.equal(af.variables['voipbin.external_media.stop_reason'], '');
  });

  test('defaults: µ-law, listen in, speak in; plain data becomes {data}', async () => {
    const h = new EngineHarness();
    await h.ended(await h.startCall([act(1, 'external_media_start', { external_host: BOT, data: 'hi there' })]));
    const request = h.calls.streams[0]?.request;
    assert.equal(request?.url, BOT);
    assert.deepEqual([request?.format, request?.listen, request?.speak], ['ulaw', 'in', 'in']);
    assert.deepEqual(request?.custom_parameters, { data: 'hi there' });
    assert.deepEqual(request?.variables, {});
  });

  test('without sync the flow goes on at once while the stream runs', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([
      act(1, 'external_media_start', { external_host: BOT }),
      act(2, 'variable_set', { key: 'after', value: 'ran' }),
      act(3, 'sleep', { duration: 10 }),
    ]);
    await waitFor(() => h.store.rows.get(id)?.variables['after'] === 'ran');
    assert.equal(h.calls.streams[0]?.stream.status, 'running');
    await waitFor(() => h.clock.pending > 0);
    h.clock.advance(10);
    await h.ended(id);
    assert.ok(!h.calls.log.includes('mediaStreamStop call-1'), 'the call, not the action, ends the stream');
  });

  test('with sync the flow waits for the end, then applies stop_reason and the continue variables', async () => {
    const h = new EngineHarness();
    const id = await h.startCall(
      [
        act(1, 'external_media_start', { external_host: BOT, sync: true }),
        act(2, 'variable_set', { key: 'after', value: 'ran' }),
      ],
      { variables: { intent: 'none' } },
    );
    await waitFor(() => h.calls.streams.length === 1);
    await waitFor(() => false, 'a few turns', 20).catch(() => undefined);
    const waiting = await h.activeflow(id);
    assert.equal(waiting.variables['voipbin.external_media.id'], 'stream-1', 'the id is set at once');
    assert.equal(waiting.variables['after'], undefined, 'waits while the stream runs');
    h.calls.streams[0]?.end('bot_continue', {
      intent: 'billing',
      account: '42',
      'voipbin.call.id': 'forged',
      '': 'empty',
    });
    const af = await h.ended(id);
    assert.equal(af.variables['voipbin.external_media.stop_reason'], 'bot_continue');
    assert.equal(af.variables['intent'], 'billing');
    assert.equal(af.variables['account'], '42');
    assert.equal(af.variables['voipbin.call.id'], 'call-1', 'voipbin. names are not the bot to set');
    assert.equal(af.variables[''], undefined);
    assert.equal(af.variables['after'], 'ran');
    assert.deepEqual(h.store.errors(), []);
  });

  test('continue variables beyond the activeflow limits are an action error; the flow goes on', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([
      act(1, 'external_media_start', { external_host: BOT, sync: true }),
      act(2, 'variable_set', { key: 'after', value: 'ran' }),
    ]);
    await waitFor(() => h.calls.streams.length === 1);
    h.calls.streams[0]?.end('bot_continue', { big: 'x'.repeat(70 * 1024) });
    const af = await h.ended(id);
    assert.deepEqual(
      h.store.errors().map((e) => [e.type, e.code]),
      [['external_media_start', 'VARIABLES_TOO_LARGE']],
    );
    assert.equal(af.variables['voipbin.external_media.stop_reason'], 'bot_continue');
    assert.equal(af.variables['after'], 'ran');
  });

  test('a stream that failed to connect sets stop_reason and the flow goes on, sync or not', async () => {
    const h = new EngineHarness();
    h.calls.streamFailure = 'connect_failed';
    const id = await h.startCall([
      act(1, 'external_media_start', { external_host: BOT, sync: true }),
      act(2, 'variable_set', { key: 'after', value: 'ran' }),
    ]);
    const af = await h.ended(id);
    assert.equal(af.variables['voipbin.external_media.id'], 'stream-1');
    assert.equal(af.variables['voipbin.external_media.stop_reason'], 'connect_failed');
    assert.equal(af.variables['after'], 'ran');
    assert.deepEqual(h.store.errors(), [], 'not an action error');
  });

  test('a hangup during a sync stream aborts the action and stops the stream', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([
      act(1, 'external_media_start', { external_host: BOT, sync: true }),
      act(2, 'variable_set', { key: 'after', value: 'ran' }),
    ]);
    await waitFor(() => h.calls.streams.length === 1);
    await h.engine.stop(id);
    const af = await h.ended(id);
    await waitFor(() => h.calls.log.includes('mediaStreamStop call-1'), 'the stream to be stopped');
    assert.equal(h.calls.streams[0]?.stream.stop_reason, 'stopped');
    assert.equal(af.variables['after'], undefined);
    assert.equal(af.variables['voipbin.external_media.stop_reason'], '', 'an aborted action applies no end');
  });

  test('an external_host invalid once substituted is an INVALID_STREAM_URL action error; nothing starts', async () => {
    const h = new EngineHarness();
    const id = await h.startCall(
      [
        act(1, 'external_media_start', { external_host: 'wss://${host}/bot' }),
        act(2, 'variable_set', { key: 'after', value: 'ran' }),
      ],
      { variables: { host: 'bad host' } },
    );
    const af = await h.ended(id);
    assert.deepEqual(
      h.store.errors().map((e) => [e.type, e.code]),
      [['external_media_start', 'INVALID_STREAM_URL']],
    );
    assert.equal(h.calls.streams.length, 0);
    assert.equal(af.variables['after'], 'ran');
  });

  test('data longer than 4096 characters once substituted is an UNSUPPORTED_STREAM_OPTION action error', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([act(1, 'external_media_start', { external_host: BOT, data: 'about ${text}' })], {
      variables: { text: 'x'.repeat(4091) },
    });
    await h.ended(id);
    assert.deepEqual(
      h.store.errors().map((e) => [e.code, e.message]),
      [['UNSUPPORTED_STREAM_OPTION', 'data: is longer than 4096 characters']],
    );
    assert.equal(h.calls.streams.length, 0);
  });

  test('external_media_stop stops the call streams and goes on', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([
      act(1, 'external_media_start', { external_host: BOT }),
      act(2, 'external_media_stop'),
      act(3, 'external_media_stop'),
      act(4, 'variable_set', { key: 'after', value: 'ran' }),
    ]);
    const af = await h.ended(id);
    assert.deepEqual(
      h.calls.log.filter((l) => l.startsWith('mediaStream')),
      ['mediaStreamStart call-1', 'mediaStreamStop call-1', 'mediaStreamStop call-1'],
    );
    assert.equal(h.calls.streams[0]?.stream.stop_reason, 'stopped');
    assert.equal(af.variables['after'], 'ran');
    assert.deepEqual(h.store.errors(), []);
  });

  test('both actions are skipped in an activeflow without a call', async () => {
    const h = new EngineHarness();
    const id = await h.startApi([
      act(1, 'external_media_start', { external_host: BOT }),
      act(2, 'external_media_stop'),
    ]);
    const af = await h.ended(id);
    assert.deepEqual(
      af.executed_actions.map((a) => [a.type, a.skipped]),
      [
        ['external_media_start', true],
        ['external_media_stop', true],
      ],
    );
    assert.equal(h.calls.log.length, 0);
  });
});
