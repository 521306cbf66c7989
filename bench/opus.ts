/**
 * Opus library benchmark: CPU µs per 20 ms frame to encode (8 kHz PCM → 48 kHz → Opus, mono, VOIP,
 * 32 kbit/s) and to decode (Opus → 48 kHz → 8 kHz) with each Opus library that is installed — the
 * native binding `@discordjs/opus` and the WebAssembly build `opusscript` — beside the same frames
 * through G.711 (PCMU encode + decode) in the same run. Also: libopus taking and giving 8 kHz itself
 * (its own resampler instead of ours), the cost of one loss-concealment call, and whether a
 * corrupted packet is refused cleanly (docs/benchmarks.md "Opus").
 * Run: node --import tsx bench/opus.ts [--frames N]
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PCMU } from '../src/media/codecs/index.ts';
import { audio } from '../src/media/testing/speech-audio.ts';
import { numberFlag } from './cli-args.ts';
import { Downsampler, Upsampler } from './opus-resampler.ts';

const require = createRequire(import.meta.url);
const VOIP = 2048;
const SET_APPLICATION = 4000;
const SET_COMPLEXITY = 4010;
const BITRATE = 32000;

/** One Opus encoder+decoder state of a library, at one sample rate. */
interface OpusState {
  encode(pcm: Int16Array): Uint8Array;
  /** Decoded samples; an empty payload asks for loss concealment. */
  decode(payload: Uint8Array): Int16Array;
  free(): void;
}

/** A library under test: null when it is not installed. */
interface OpusLibrary {
  name: string;
  version: string;
  kind: string;
  open(rate: 8000 | 48000, complexity: number): OpusState;
}

function bufferOf(a: Uint8Array | Int16Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function samplesOf(b: Buffer): Int16Array {
  return new Int16Array(b.buffer, b.byteOffset, b.byteLength >> 1);
}

function version(pkg: string): string {
  return (require(`${pkg}/package.json`) as { version: string }).version;
}

function loadDiscord(): OpusLibrary | null {
  let mod: { OpusEncoder: new (rate: number, channels: number) => DiscordOpus };
  try {
    mod = require('@discordjs/opus');
  } catch {
    return null;
  }
  interface DiscordOpus {
    encode(b: Buffer): Buffer;
    decode(b: Buffer): Buffer;
    applyEncoderCTL(ctl: number, value: number): void;
    setBitrate(bps: number): void;
  }
  return {
    name: '@discordjs/opus',
    version: version('@discordjs/opus'),
    kind: 'native N-API, libopus built from source at install',
    open(rate, complexity) {
      const o = new mod.OpusEncoder(rate, 1);
      o.applyEncoderCTL(SET_APPLICATION, VOIP);
      o.applyEncoderCTL(SET_COMPLEXITY, complexity);
      o.setBitrate(BITRATE);
      return {
        encode: (pcm) => o.encode(bufferOf(pcm)),
        decode: (payload) => samplesOf(o.decode(bufferOf(payload))),
        free: () => {},
      };
    },
  };
}

function loadOpusscript(): OpusLibrary | null {
  interface Script {
    encode(b: Buffer, frameSize: number): Buffer;
    decode(b: Buffer): Buffer;
    encoderCTL(ctl: number, value: number): void;
    setBitrate(bps: number): void;
    delete(): void;
  }
  let Ctor: new (rate: number, channels: number, application: number) => Script;
  try {
    Ctor = require('opusscript');
  } catch {
    return null;
  }
  return {
    name: 'opusscript',
    version: version('opusscript'),
    kind: 'WebAssembly (emscripten), no build',
    open(rate, complexity) {
      const o = new Ctor(rate, 1, VOIP);
      o.encoderCTL(SET_COMPLEXITY, complexity);
      o.setBitrate(BITRATE);
      return {
        encode: (pcm) => o.encode(bufferOf(pcm), pcm.length),
        decode: (payload) => samplesOf(o.decode(bufferOf(payload))),
        free: () => o.delete(),
      };
    },
  };
}

/** Rounds per figure: the least CPU of them is kept, which other processes on the machine disturb least. */
const ROUNDS = 5;

/** CPU µs (user + system) per call of `fn`, the least of {@link ROUNDS} rounds over `frames` calls in all. */
function cpuUs(frames: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(100, frames); i++) fn(i);
  const perRound = Math.max(1, Math.ceil(frames / ROUNDS));
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < perRound; i++) fn(r * perRound + i);
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / perRound);
  }
  return best;
}

/** Figures of one library at one complexity. */
export interface OpusLibraryResult {
  library: string;
  version: string;
  kind: string;
  complexity: number;
  /** Our 8→48 kHz filter + encode at 48 kHz. */
  encodeUs: number;
  /** Decode at 48 kHz + our 48→8 kHz filter. */
  decodeUs: number;
  /** libopus fed 8 kHz and asked for 8 kHz (its own resampling). */
  encode8kUs: number;
  decode8kUs: number;
  /** One loss-concealment call (empty payload) at 48 kHz, and how many samples it returned. */
  concealUs: number;
  concealSamples: number;
  /** Mean payload bytes per 20 ms frame. */
  payloadBytes: number;
  /** A corrupted packet threw (caught) rather than crashing or returning audio. */
  garbageRefused: boolean;
  /** States open at once (up to the probe's limit) while the first one still encodes and decodes. */
  instancesOk: number;
}

/** What runOpusBench returns. */
export interface OpusBenchResult {
  frames: number;
  /** PCMU encode + decode of the same frames, µs per frame (both ways). */
  g711Us: number;
  /** Our resampler alone, µs per frame each way. */
  upsampleUs: number;
  downsampleUs: number;
  libraries: OpusLibraryResult[];
  missing: string[];
}

function measure(
  lib: OpusLibrary,
  frames: Int16Array[],
  n: number,
  complexity: number,
  instanceLimit: number,
): OpusLibraryResult {
  const count = frames.length;
  const wide = new Int16Array(960);
  const narrow = new Int16Array(160);
  const up = new Upsampler();
  const down = new Downsampler();
  const s48 = lib.open(48000, complexity);
  const packets: Uint8Array[] = frames.map((f) => {
    up.process(f, wide);
    return Uint8Array.from(s48.encode(wide));
  });
  const encodeUs = cpuUs(n, (i) => {
    up.process(frames[i % count] as Int16Array, wide);
    s48.encode(wide);
  });
  const decodeUs = cpuUs(n, (i) => {
    down.process(s48.decode(packets[i % count] as Uint8Array), narrow);
  });
  let concealSamples = 0;
  const concealUs = cpuUs(Math.max(10, n >> 4), () => {
    concealSamples = s48.decode(new Uint8Array(0)).length;
  });
  let garbageRefused = false;
  try {
    s48.decode(Uint8Array.of(0xff, 0xff, 0xff, 1, 2, 3));
  } catch {
    garbageRefused = true;
  }
  s48.free();
  const s8 = lib.open(8000, complexity);
  const packets8 = frames.map((f) => Uint8Array.from(s8.encode(f)));
  const encode8kUs = cpuUs(n, (i) => s8.encode(frames[i % count] as Int16Array));
  const decode8kUs = cpuUs(n, (i) => s8.decode(packets8[i % count] as Uint8Array));
  s8.free();
  const payloadBytes = packets.reduce((sum, p) => sum + p.length, 0) / count;
  const instancesOk = probeInstances(lib, frames[0] as Int16Array, instanceLimit);
  return {
    library: lib.name,
    version: lib.version,
    kind: lib.kind,
    complexity,
    encodeUs,
    decodeUs,
    encode8kUs,
    decode8kUs,
    concealUs,
    concealSamples,
    payloadBytes,
    garbageRefused,
    instancesOk,
  };
}

/**
 * Opens states one by one (a server holds one per transcoded leg) and checks after each that the
 * first still works; returns how many were open when it stopped working, or `limit`.
 */
function probeInstances(lib: OpusLibrary, frame: Int16Array, limit: number): number {
  const states: OpusState[] = [];
  let ok = 0;
  try {
    for (; ok < limit; ok++) {
      states.push(lib.open(8000, 5));
      const first = states[0] as OpusState;
      first.decode(first.encode(frame));
    }
  } catch {
    // The first state broke once this many were open.
  } finally {
    for (const s of states) s.free();
  }
  return ok;
}

/** Runs the benchmark; small `frames` make it a smoke test. */
export function runOpusBench(
  options: { frames?: number; complexities?: number[]; instances?: number } = {},
): OpusBenchResult {
  const n = options.frames ?? 5000;
  const frames = audio([
    ['speech', 1500],
    ['silence', 300],
    ['speech', 1200],
  ]);
  const count = frames.length;
  const payload = new Uint8Array(160);
  const pcm = new Int16Array(160);
  const g711Us = cpuUs(n, (i) => {
    payload.set(PCMU.encodeFrame(frames[i % count] as Int16Array));
    PCMU.decodeFrame(payload, pcm);
  });
  const up = new Upsampler();
  const down = new Downsampler();
  const wide = new Int16Array(960);
  const upsampleUs = cpuUs(n, (i) => up.process(frames[i % count] as Int16Array, wide));
  const downsampleUs = cpuUs(n, () => down.process(wide, pcm));
  const libraries: OpusLibraryResult[] = [];
  const missing: string[] = [];
  for (const [name, load] of [
    ['@discordjs/opus', loadDiscord],
    ['opusscript', loadOpusscript],
  ] as const) {
    const lib = load();
    if (!lib) {
      missing.push(name);
      continue;
    }
    for (const complexity of options.complexities ?? [10, 5])
      libraries.push(measure(lib, frames, n, complexity, options.instances ?? 500));
  }
  return { frames: n, g711Us, upsampleUs, downsampleUs, libraries, missing };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = runOpusBench({ frames: numberFlag(process.argv, '--frames', 5000) });
  const f = (x: number): string => x.toFixed(1);
  console.log(`frames=${r.frames} (CPU µs per 20 ms frame, one core)`);
  console.log(`baseline G.711 PCMU encode+decode: ${r.g711Us.toFixed(2)} µs`);
  console.log(`our resampler alone: 8→48 kHz ${f(r.upsampleUs)} µs, 48→8 kHz ${f(r.downsampleUs)} µs`);
  for (const l of r.libraries) {
    console.log(
      `${l.library}@${l.version} (${l.kind}) complexity=${l.complexity}: encode=${f(l.encodeUs)} decode=${f(l.decodeUs)} ` +
        `encode_8k=${f(l.encode8kUs)} decode_8k=${f(l.decode8kUs)} conceal=${f(l.concealUs)} (${l.concealSamples} samples) ` +
        `bytes/frame=${f(l.payloadBytes)} garbage_refused=${l.garbageRefused} instances_ok=${l.instancesOk}`,
    );
  }
  for (const m of r.missing) console.log(`${m}: not installed`);
}
