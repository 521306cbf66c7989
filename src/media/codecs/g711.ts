/**
 * G.711 (ITU-T G.711) µ-law and A-law companding through precomputed lookup tables: encoding is one
 * table read per sample (indexed by the sample's 16-bit two's-complement pattern), decoding one read
 * per byte, and µ-law↔A-law transcoding one read per byte without passing through linear PCM.
 */

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 32635;
const ALAW_CLIP = 32635;

function highBit(value: number): number {
  return value === 0 ? 0 : 31 - Math.clz32(value);
}

function mulawEncodeSample(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  const magnitude = Math.min((sample < 0 ? -sample : sample) + MULAW_BIAS, MULAW_CLIP);
  const exponent = Math.min(highBit(magnitude >> 7), 7);
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function mulawDecodeSample(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

function alawEncodeSample(sample: number): number {
  // G.711 A-law is symmetric around zero: -32768 has no positive twin, so it takes -32767's code.
  const s = sample === -32768 ? -32767 : sample;
  const sign = s >= 0 ? 0x80 : 0;
  const magnitude = Math.min(s < 0 ? -s : s, ALAW_CLIP);
  let value: number;
  if (magnitude >= 256) {
    const exponent = highBit(magnitude >> 8) + 1;
    value = (exponent << 4) | ((magnitude >> (exponent + 3)) & 0x0f);
  } else {
    value = magnitude >> 4;
  }
  return value ^ (sign ^ 0x55);
}

function alawDecodeSample(code: number): number {
  const a = code ^ 0x55;
  const segment = (a & 0x70) >> 4;
  let magnitude = (a & 0x0f) << 4;
  if (segment === 0) magnitude += 8;
  else magnitude = (magnitude + 0x108) << (segment - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

function buildEncodeTable(encode: (sample: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = encode((i << 16) >> 16);
  return table;
}

function buildDecodeTable(decode: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let i = 0; i < 256; i++) table[i] = decode(i);
  return table;
}

/** µ-law code for every 16-bit sample, indexed by `sample & 0xffff`. */
export const MULAW_ENCODE_TABLE: Uint8Array = buildEncodeTable(mulawEncodeSample);
/** Linear sample for every µ-law code. */
export const MULAW_DECODE_TABLE: Int16Array = buildDecodeTable(mulawDecodeSample);
/** A-law code for every 16-bit sample, indexed by `sample & 0xffff`. */
export const ALAW_ENCODE_TABLE: Uint8Array = buildEncodeTable(alawEncodeSample);
/** Linear sample for every A-law code. */
export const ALAW_DECODE_TABLE: Int16Array = buildDecodeTable(alawDecodeSample);

function buildTranscodeTable(decode: Int16Array, encode: Uint8Array): Uint8Array {
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) table[i] = encode[(decode[i] ?? 0) & 0xffff] ?? 0;
  return table;
}

/** A-law code for every µ-law code (via the decoded linear value). */
export const MULAW_TO_ALAW_TABLE: Uint8Array = buildTranscodeTable(MULAW_DECODE_TABLE, ALAW_ENCODE_TABLE);
/** µ-law code for every A-law code (via the decoded linear value). */
export const ALAW_TO_MULAW_TABLE: Uint8Array = buildTranscodeTable(ALAW_DECODE_TABLE, MULAW_ENCODE_TABLE);

/** Encodes `pcm` into `out` (same length or longer) with `table`; allocates nothing. */
function encodeWith(table: Uint8Array, pcm: Int16Array, out: Uint8Array): void {
  for (let i = 0; i < pcm.length; i++) out[i] = table[(pcm[i] as number) & 0xffff] as number;
}

/** Decodes `bytes` into `out` (same length or longer) with `table`; allocates nothing. */
function decodeWith(table: Int16Array, bytes: Uint8Array, out: Int16Array): void {
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i] as number] as number;
}

/** Encodes 16-bit PCM to µ-law into `out`. */
export function encodeMulaw(pcm: Int16Array, out: Uint8Array): void {
  encodeWith(MULAW_ENCODE_TABLE, pcm, out);
}

/** Decodes µ-law bytes to 16-bit PCM into `out`. */
export function decodeMulaw(bytes: Uint8Array, out: Int16Array): void {
  decodeWith(MULAW_DECODE_TABLE, bytes, out);
}

/** Encodes 16-bit PCM to A-law into `out`. */
export function encodeAlaw(pcm: Int16Array, out: Uint8Array): void {
  encodeWith(ALAW_ENCODE_TABLE, pcm, out);
}

/** Decodes A-law bytes to 16-bit PCM into `out`. */
export function decodeAlaw(bytes: Uint8Array, out: Int16Array): void {
  decodeWith(ALAW_DECODE_TABLE, bytes, out);
}

/** Transcodes `bytes` in place between the two laws with a 256-entry table. */
export function transcodeInPlace(table: Uint8Array, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) bytes[i] = table[bytes[i] as number] as number;
}
