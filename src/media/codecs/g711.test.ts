import { test } from 'node:test';
import assert from 'node:assert/strict';
import alawmulaw from 'alawmulaw';
const { alaw, mulaw } = alawmulaw;
import {
  ALAW_TO_MULAW_TABLE,
  MULAW_TO_ALAW_TABLE,
  decodeAlaw,
  decodeMulaw,
  encodeAlaw,
  encodeMulaw,
  g711Codec,
  PCMU,
} from './index.ts';

const allSamples = new Int16Array(65536);
for (let i = 0; i < 65536; i++) allSamples[i] = i - 32768;
const allCodes = new Uint8Array(256);
for (let i = 0; i < 256; i++) allCodes[i] = i;

test('µ-law encode is bit-exact with alawmulaw for all 65,536 samples', () => {
  const out = new Uint8Array(65536);
  encodeMulaw(allSamples, out);
  assert.deepEqual(out, mulaw.encode(allSamples));
});

test('A-law encode is bit-exact with alawmulaw for all 65,536 samples', () => {
  const out = new Uint8Array(65536);
  encodeAlaw(allSamples, out);
  assert.deepEqual(out, alaw.encode(allSamples));
});

test('µ-law and A-law decode are bit-exact with alawmulaw for all 256 codes', () => {
  const out = new Int16Array(256);
  decodeMulaw(allCodes, out);
  assert.deepEqual(out, mulaw.decode(allCodes));
  decodeAlaw(allCodes, out);
  assert.deepEqual(out, alaw.decode(allCodes));
});

test('transcoding tables equal decode-then-encode through alawmulaw', () => {
  assert.deepEqual(MULAW_TO_ALAW_TABLE, alaw.encode(mulaw.decode(allCodes)));
  assert.deepEqual(ALAW_TO_MULAW_TABLE, mulaw.encode(alaw.decode(allCodes)));
});

test('codec lookup by SDP name maps to the static payload types and rejects others', () => {
  assert.equal(g711Codec('pcmu'), PCMU);
  assert.equal(g711Codec('PCMA').payloadType, 8);
  assert.throws(() => g711Codec('opus'), { code: 'UNSUPPORTED_CODEC' });
});

test('G.711 as an AudioCodec: one 20 ms frame is 160 bytes and 160 ticks, through the same tables', () => {
  const pcm = Int16Array.from({ length: 160 }, (_, i) => ((i * 409) % 65536) - 32768);
  const direct = new Uint8Array(160);
  encodeMulaw(pcm, direct);
  assert.deepEqual([PCMU.clockRate, PCMU.frameTicks], [8000, 160]);
  assert.deepEqual(PCMU.encodeFrame(pcm), direct);
  const out = new Int16Array(160);
  const expected = new Int16Array(160);
  decodeMulaw(direct, expected);
  assert.equal(PCMU.decodeFrame(direct, out), true);
  assert.deepEqual(out, expected);
  assert.equal(PCMU.decodeFrame(direct.subarray(0, 100), out), true);
  assert.ok(
    out.subarray(100).every((x) => x === 0),
    'a short payload is padded with silence',
  );
  assert.equal(PCMU.decodeFrame(new Uint8Array(0), out), false);
  assert.ok(out.every((x) => x === 0));
});
