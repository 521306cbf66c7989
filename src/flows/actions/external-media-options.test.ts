import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValidationError } from '../../shared/index.ts';
import { validateFlowActions } from '../flow-action-validator.ts';
import { customParametersOfData as streamCustomParameters } from './external-media-start.ts';

const BOT = 'wss://bot.example.com/media?token=s3cret';

/** The validation details of one `external_media_start` option, as `[field, reason, message]`. */
function issuesOf(option: Record<string, unknown>): [string, string, string][] {
  try {
    validateFlowActions([{ type: 'external_media_start', option }]);
  } catch (err) {
    assert.ok(err instanceof ValidationError);
    return err.details.map((d) => [d.field.replace('actions[0].option.', ''), d.reason, d.message]);
  }
  return [];
}

describe('external_media_start validation', () => {
  test('a full VoIPBIN option set with callbin additions is accepted', () => {
    const option = {
      external_host: BOT,
      transport: 'websocket',
      encapsulation: 'none',
      connection_type: 'client',
      format: 'slin16',
      direction_listen: 'both',
      direction_speak: '',
      data: '{"lang":"en"}',
      variables: ['voipbin.call.id', 'customer'],
      sync: true,
    };
    assert.deepEqual(issuesOf(option), []);
    assert.deepEqual(issuesOf({ external_host: 'ws://10.0.0.5:8080/${path}', encapsulation: '' }), []);
  });

  test('each refused value is named with a message that says why', () => {
    const cases: [Record<string, unknown>, string, string, RegExp][] = [
      [{ transport: 'udp' }, 'transport', 'INVALID_ACTION', /RTP over UDP is not supported/],
      [{ encapsulation: 'rtp' }, 'encapsulation', 'INVALID_ACTION', /"rtp" is not supported/],
      [{ encapsulation: 'audiosocket' }, 'encapsulation', 'INVALID_ACTION', /"audiosocket" is not supported/],
      [{ encapsulation: 'sln' }, 'encapsulation', 'INVALID_ACTION', /"sln" is not supported/],
      [{ connection_type: 'server' }, 'connection_type', 'INVALID_ACTION', /is not one of "client"/],
      [{ format: 'alaw' }, 'format', 'INVALID_ACTION', /is not one of "ulaw", "slin16"/],
      [{ direction_listen: 'all' }, 'direction_listen', 'INVALID_ACTION', /is not one of/],
      [{ direction_speak: 'out' }, 'direction_speak', 'INVALID_ACTION', /is not one of/],
      [{ data: 'x'.repeat(4097) }, 'data', 'INVALID_ACTION', /too long/],
      [{ variables: Array.from({ length: 33 }, (_, i) => `v${i}`) }, 'variables', 'INVALID_ACTION', /at most 32/],
      [{ sync: 'yes' }, 'sync', 'INVALID_ACTION', /not a boolean/],
      [{ channel: 1 }, 'channel', 'INVALID_ACTION', /unknown field/],
    ];
    for (const [extra, field, reason, message] of cases) {
      const issues = issuesOf({ external_host: BOT, ...extra });
      assert.equal(issues.length, 1, JSON.stringify(issues));
      assert.equal(issues[0]?.[0], field);
      assert.equal(issues[0]?.[1], reason);
      assert.match(issues[0]?.[2] ?? '', message);
    }
  });

  test('external_host must be a ws(s) URL of at most 2048 characters', () => {
    for (const host of [
      'https://bot.example.com/',
      'bot.example.com',
      'ws://',
      `wss://b.example.com/${'p'.repeat(2040)}`,
    ]) {
      const issues = issuesOf({ external_host: host });
      assert.deepEqual(
        issues.map(([field, reason]) => [field, reason]),
        [['external_host', 'INVALID_STREAM_URL']],
        host,
      );
    }
    assert.deepEqual(issuesOf({}), [['external_host', 'INVALID_ACTION', 'is required']]);
  });

  test('listen "" and speak "" together are refused; either alone is fine', () => {
    const both = issuesOf({ external_host: BOT, direction_listen: '', direction_speak: '' });
    assert.equal(both.length, 1);
    assert.equal(both[0]?.[0], 'direction_listen');
    assert.match(both[0]?.[2] ?? '', /neither hear nor speak/);
    assert.deepEqual(issuesOf({ external_host: BOT, direction_listen: '' }), []);
    assert.deepEqual(issuesOf({ external_host: BOT, direction_speak: '' }), []);
  });

  test('an external_host the URL parser refuses is refused at validation, unless substituted later', () => {
    const issues = issuesOf({ external_host: 'ws://a:b:c/' });
    assert.deepEqual(issues, [['external_host', 'INVALID_ACTION', '"ws://a:b:c/" is not an absolute URL']]);
    assert.deepEqual(issuesOf({ external_host: 'ws://a:${port}/' }), []);
  });

  test('external_media_stop takes no options', () => {
    assert.doesNotThrow(() => validateFlowActions([{ type: 'external_media_stop' }]));
    assert.throws(() => validateFlowActions([{ type: 'external_media_stop', option: { id: 'x' } }]), ValidationError);
  });
});

describe('streamCustomParameters', () => {
  test('a JSON object of scalars becomes string parameters; other text is {data}', () => {
    assert.deepEqual(streamCustomParameters(''), {});
    assert.deepEqual(streamCustomParameters('{"lang":"en","n":3,"vip":true}'), { lang: 'en', n: '3', vip: 'true' });
    assert.deepEqual(streamCustomParameters('{}'), {});
    assert.deepEqual(streamCustomParameters('hello bot'), { data: 'hello bot' });
    assert.deepEqual(streamCustomParameters('{"a":{"b":1}}'), { data: '{"a":{"b":1}}' });
    assert.deepEqual(streamCustomParameters('{"a":null}'), { data: '{"a":null}' });
    assert.deepEqual(streamCustomParameters('[1,2]'), { data: '[1,2]' });
    assert.deepEqual(streamCustomParameters('{not json'), { data: '{not json' });
  });

  test('a JSON object of more than 32 keys is handed over whole as {data}', () => {
    const entries = Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']);
    const wide = JSON.stringify(Object.fromEntries(entries));
    assert.deepEqual(streamCustomParameters(wide), { data: wide });
    const full = JSON.stringify(Object.fromEntries(entries.slice(0, 32)));
    assert.equal(Object.keys(streamCustomParameters(full)).length, 32);
  });

  test('data longer than 4096 characters is an UNSUPPORTED_STREAM_OPTION error on data', () => {
    assert.equal(streamCustomParameters('x'.repeat(4096)).data?.length, 4096);
    assert.throws(
      () => streamCustomParameters('x'.repeat(4097)),
      (err: unknown) =>
        err instanceof ValidationError && err.code === 'UNSUPPORTED_STREAM_OPTION' && err.details[0]?.field === 'data',
    );
  });
});
