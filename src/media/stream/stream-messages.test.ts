import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../shared/index.ts';
import {
  connectedMessage,
  dtmfMessage,
  markMessage,
  mediaMessage,
  parseBotMessage,
  startMessage,
  stopMessage,
} from './stream-messages.ts';
import type { BotMessageContext, StreamStartInfo } from './stream-messages.ts';

const INFO: StreamStartInfo = {
  streamSid: 'S1',
  accountSid: 'A1',
  callSid: 'C1',
  tracks: ['inbound', 'outbound'],
  customParameters: { lang: 'en' },
  callbin: { call_id: 'C1', activeflow_id: 'F1', stream_id: 'S1', variables: { x: '1' } },
};

test('messages: every builder gives the exact JSON text of the protocol', () => {
  assert.equal(connectedMessage(), '{"event":"connected","protocol":"Call","version":"1.0.0"}');
  assert.equal(
    startMessage(1, INFO, 'ulaw'),
    '{"event":"start","sequenceNumber":"1","streamSid":"S1","start":{"streamSid":"S1","accountSid":"A1",' +
      '"callSid":"C1","tracks":["inbound","outbound"],"customParameters":{"lang":"en"},' +
      '"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},' +
      '"callbin":{"call_id":"C1","activeflow_id":"F1","stream_id":"S1","variables":{"x":"1"}}}}',
  );
  assert.deepEqual(JSON.parse(startMessage(1, { ...INFO, tracks: [] }, 'slin16')).start.mediaFormat, {
    encoding: 'audio/l16',
    sampleRate: 16000,
    channels: 1,
  });
  assert.equal(
    mediaMessage(7, 'S"1', 'outbound', 3, 'AAAA'),
    '{"event":"media","sequenceNumber":"7","streamSid":"S\\"1","media":{"track":"outbound","chunk":"3",' +
      '"timestamp":"40","payload":"AAAA"}}',
  );
  assert.equal(JSON.parse(mediaMessage(7, 'S"1', 'outbound', 3, 'AAAA')).streamSid, 'S"1');
  assert.equal(
    dtmfMessage(4, 'S1', '#'),
    '{"event":"dtmf","sequenceNumber":"4","streamSid":"S1","dtmf":{"track":"inbound_track","digit":"#"}}',
  );
  assert.equal(markMessage(5, 'S1', 'm'), '{"event":"mark","sequenceNumber":"5","streamSid":"S1","mark":{"name":"m"}}');
  assert.equal(
    stopMessage(9, 'S1', INFO, 'hangup'),
    '{"event":"stop","sequenceNumber":"9","streamSid":"S1","stop":{"accountSid":"A1","callSid":"C1","reason":"hangup"}}',
  );
});

const ULAW: BotMessageContext = { streamSid: 'S1', format: 'ulaw' };

test('messages: the parser accepts each message of the bot', () => {
  const media = parseBotMessage('{"event":"media","streamSid":"S1","media":{"payload":"AQID"}}', ULAW);
  assert.equal(media.event, 'media');
  assert.deepEqual(media.event === 'media' && [...media.payload], [1, 2, 3]);
  // streamSid is optional, extra fields are ignored.
  const bare = parseBotMessage('{"event":"media","media":{"payload":"","track":"x"},"extra":1}', ULAW);
  assert.equal(bare.event === 'media' && bare.payload.length, 0);
  assert.deepEqual(parseBotMessage('{"event":"mark","streamSid":"S1","mark":{"name":"n1"}}', ULAW), {
    event: 'mark',
    name: 'n1',
  });
  assert.deepEqual(parseBotMessage('{"event":"clear","streamSid":"S1"}', ULAW), { event: 'clear' });
  assert.deepEqual(parseBotMessage('{"event":"continue","variables":{"a":"1","b":""}}', ULAW), {
    event: 'continue',
    variables: { a: '1', b: '' },
  });
  assert.deepEqual(parseBotMessage('{"event":"continue"}', ULAW), { event: 'continue', variables: {} });
  // Before start the stream id is not known: any is taken.
  assert.equal(
    parseBotMessage('{"event":"clear","streamSid":"other"}', { ...ULAW, streamSid: undefined }).event,
    'clear',
  );
  const proto = parseBotMessage('{"event":"continue","variables":{"__proto__":"x"}}', ULAW);
  assert.equal(proto.event === 'continue' && Object.getPrototypeOf(proto.variables), Object.prototype);
  assert.equal(proto.event === 'continue' && Object.keys(proto.variables).join(), '__proto__');
});

test('messages: the parser refuses every bad kind with STREAM_PROTOCOL_ERROR', () => {
  const manyVars = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`v${i}`, 'x']));
  const bad: [string, string, BotMessageContext?][] = [
    ['not JSON', 'this is not JSON {'],
    ['an array', '[1,2]'],
    ['null', 'null'],
    ['no event', '{"streamSid":"S1"}'],
    ['event of the wrong type', '{"event":5}'],
    ['unknown event', '{"event":"hello"}'],
    ['wrong streamSid', '{"event":"clear","streamSid":"S2"}'],
    ['streamSid of the wrong type', '{"event":"clear","streamSid":1}'],
    ['media without media', '{"event":"media"}'],
    ['media not an object', '{"event":"media","media":"AAAA"}'],
    ['payload of the wrong type', '{"event":"media","media":{"payload":12}}'],
    ['payload not base64', '{"event":"media","media":{"payload":"!!!!"}}'],
    ['payload of a bad length', '{"event":"media","media":{"payload":"AAA"}}'],
    ['slin16 odd bytes', '{"event":"media","media":{"payload":"AQID"}}', { streamSid: 'S1', format: 'slin16' }],
    ['mark without name', '{"event":"mark","mark":{}}'],
    ['mark name empty', '{"event":"mark","mark":{"name":""}}'],
    ['mark name too long', JSON.stringify({ event: 'mark', mark: { name: 'n'.repeat(257) } })],
    ['variables an array', '{"event":"continue","variables":["a"]}'],
    ['variable not a string', '{"event":"continue","variables":{"a":1}}'],
    ['too many variables', JSON.stringify({ event: 'continue', variables: manyVars })],
    ['variable name too long', JSON.stringify({ event: 'continue', variables: { ['n'.repeat(65)]: 'x' } })],
    ['variable name empty', JSON.stringify({ event: 'continue', variables: { '': 'x' } })],
    ['variable value too long', JSON.stringify({ event: 'continue', variables: { a: 'x'.repeat(4097) } })],
  ];
  for (const [what, text, context] of bad) {
    assert.throws(
      () => parseBotMessage(text, context ?? ULAW),
      (err: unknown) => err instanceof AppError && err.code === 'STREAM_PROTOCOL_ERROR',
      what,
    );
  }
  // The bounds themselves are accepted.
  const most = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`${'n'.repeat(60)}${i}`, 'x'.repeat(4096)]));
  assert.equal(parseBotMessage(JSON.stringify({ event: 'continue', variables: most }), ULAW).event, 'continue');
  assert.equal(parseBotMessage(JSON.stringify({ event: 'mark', mark: { name: 'n'.repeat(256) } }), ULAW).event, 'mark');
});

test('messages: deeply nested JSON is refused, not a crash', () => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  assert.throws(
    () => parseBotMessage(deep, ULAW),
    (err: unknown) => err instanceof AppError && err.code === 'STREAM_PROTOCOL_ERROR',
  );
});
