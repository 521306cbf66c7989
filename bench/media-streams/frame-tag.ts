/**
 * The marker the benchmark's callers put in every 20 ms µ-law frame, so the bot and the callers can
 * tell which call and frame they got and when it was sent, after callbin decoded and re-encoded it.
 *
 * G.711 µ-law survives decode + encode byte for byte except 0x7F (both zero codes become 0xFF), so
 * the tag is written with bytes that avoid it: a 4-byte magic, then every field as 4-bit nibbles in
 * bytes 0x10–0x1F, then a 16-bit check. Two copies sit at offsets 0 and 80 of the 160 bytes: a frame
 * cut across two of ours (were the audio ever re-chunked) still holds one whole copy, and
 * {@link readTag} scans for it. Times are µs of the system's monotonic clock
 * (`process.hrtime.bigint()`), which every process of the machine shares.
 */

/** Bytes of one 20 ms µ-law frame. */
export const FRAME_BYTES = 160;

const MAGIC = [0xa5, 0x5a, 0xc3, 0x3c] as const;
const FILLER = 0x55;
/** Nibbles of each field, in order: call index, frame number, sent at, echoed at, check. */
const NIBBLES = [4, 8, 12, 12, 4] as const;
const TAG_BYTES = MAGIC.length + NIBBLES.reduce((a, b) => a + b, 0);
const COPIES = [0, 80] as const;

/** What a frame carries. */
export interface FrameTag {
  /** The caller (call) index, 0–65535. */
  call: number;
  /** The frame's number in its call, from 0. */
  seq: number;
  /** Monotonic µs when the caller sent it. */
  sentUs: number;
  /** Monotonic µs when the bot sent it back; 0 before. */
  botUs: number;
}

/** Monotonic µs now (the clock every process of the machine shares). */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function check(call: number, seq: number, sentUs: number, botUs: number): number {
  // FNV-1a over the fields' 16-bit pieces, folded to 16 bits.
  let h = 0x811c9dc5;
  const mix = (v: number): void => {
    h = Math.imul(h ^ (v & 0xffff), 0x01000193) >>> 0;
  };
  mix(call);
  mix(seq);
  mix(seq / 0x10000);
  for (const t of [sentUs, botUs]) {
    mix(t);
    mix(t / 0x10000);
    mix(t / 0x100000000);
  }
  return (h ^ (h >>> 16)) & 0xffff;
}

function writeNibbles(out: Uint8Array, at: number, value: number, count: number): number {
  let v = value;
  for (let i = count - 1; i >= 0; i--) {
    out[at + i] = 0x10 | (v % 16);
    v = Math.floor(v / 16);
  }
  return at + count;
}

function readNibbles(bytes: Uint8Array, at: number, count: number): number | undefined {
  let v = 0;
  for (let i = 0; i < count; i++) {
    const b = bytes[at + i]!;
    if ((b & 0xf0) !== 0x10) return undefined;
    v = v * 16 + (b & 0x0f);
  }
  return v;
}

/** Fills `out` (160 bytes) with the filler and two copies of `tag`. */
export function writeTag(out: Uint8Array, tag: FrameTag): void {
  out.fill(FILLER, 0, FRAME_BYTES);
  const values = [tag.call, tag.seq, tag.sentUs, tag.botUs, check(tag.call, tag.seq, tag.sentUs, tag.botUs)];
  for (const start of COPIES) {
    MAGIC.forEach((m, i) => (out[start + i] = m));
    let at = start + MAGIC.length;
    values.forEach((v, i) => (at = writeNibbles(out, at, v, NIBBLES[i]!)));
  }
}

/** The first whole, checked tag in `bytes`, or undefined (silence, someone else's audio, damage). */
export function readTag(bytes: Uint8Array): FrameTag | undefined {
  for (let start = 0; start + TAG_BYTES <= bytes.length; start++) {
    if (bytes[start] !== MAGIC[0] || bytes[start + 1] !== MAGIC[1]) continue;
    if (bytes[start + 2] !== MAGIC[2] || bytes[start + 3] !== MAGIC[3]) continue;
    const values: number[] = [];
    let at = start + MAGIC.length;
    for (const n of NIBBLES) {
      const v = readNibbles(bytes, at, n);
      if (v === undefined) break;
      values.push(v);
      at += n;
    }
    if (values.length !== NIBBLES.length) continue;
    const [call, seq, sentUs, botUs, sum] = values as [number, number, number, number, number];
    if (check(call, seq, sentUs, botUs) === sum) return { call, seq, sentUs, botUs };
  }
  return undefined;
}
