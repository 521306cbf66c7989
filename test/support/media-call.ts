import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaClock, PortAllocator, WavWriter, parseWav } from '../../src/media/index.ts';
import { hasCode } from '../../src/shared/index.ts';
import type { Dialog, IncomingInvite } from '../../src/sip/dialog/index.ts';
import { MediaEndpoint } from '../../src/endpoint/media-endpoint.ts';
import { startBaresip, type Baresip } from './baresip.ts';
import { startTestUa, type TestUa } from './sip-ua.ts';

/** One call of the test UA with its media endpoint. */
export interface MediaCall {
  dialog: Dialog;
  endpoint: MediaEndpoint;
  /** Resolves when the dialog ends (either side) and the endpoint is closed. */
  ended: Promise<void>;
  /** Sends BYE and closes the endpoint. */
  hangup(): Promise<void>;
}

/** A SIP user agent on loopback whose calls carry real media through MediaEndpoint. */
export interface MediaUa {
  testUa: TestUa;
  allocator: PortAllocator;
  mediaClock: MediaClock;
  /** Calls `uri` with an SDP offer and applies the answer. */
  call(uri: string): Promise<MediaCall>;
  /** The next incoming call, answered 200 with a MediaEndpoint (488 when no codec fits). */
  nextIncoming(timeoutMs?: number): Promise<MediaCall>;
  /** Closes every call, the UA and the media clock. */
  close(): Promise<void>;
}

/** A PortAllocator over a random even range, so concurrent test files rarely collide. */
export function randomPortAllocator(pairs = 20): PortAllocator {
  const base = 20000 + 2 * Math.floor(Math.random() * 10000);
  return new PortAllocator({ minPort: base, maxPort: base + pairs * 2 - 1 });
}

/** Wires a dialog to its endpoint: INFO digits, re-INVITE offers, and closing on termination. */
function wire(dialog: Dialog, endpoint: MediaEndpoint): MediaCall {
  dialog.on('info', (req) => {
    try {
      endpoint.handleInfo(req.body.toString(), req.headers.get('content-type') ?? '');
    } catch {
      // An INFO that is not DTMF (already answered 200) carries nothing for the endpoint.
    }
  });
  dialog.on('reinvite', (incoming) => {
    try {
      incoming.accept({ body: endpoint.answerReoffer(incoming.body), contentType: 'application/sdp' });
    } catch {
      incoming.reject(488);
    }
  });
  const ended = new Promise<void>((resolve) => {
    if (dialog.state === 'terminated') resolve();
    else dialog.on('terminated', () => resolve());
  }).then(() => endpoint.close());
  return {
    dialog,
    endpoint,
    ended,
    hangup: async () => {
      if (dialog.state === 'confirmed') await dialog.bye();
      await endpoint.close();
    },
  };
}

/** Starts a test UA on UDP loopback whose calls get MediaEndpoints on a shared media clock. */
export async function startMediaUa(): Promise<MediaUa> {
  const testUa = await startTestUa({ transport: 'udp' });
  const allocator = randomPortAllocator();
  const mediaClock = new MediaClock();
  const calls: MediaCall[] = [];
  const incoming: MediaCall[] = [];
  const waiters: ((call: MediaCall) => void)[] = [];
  const base = { allocator, mediaClock, address: '127.0.0.1' };
  testUa.ua.on('invite', (invite: IncomingInvite) => {
    void MediaEndpoint.answer({ ...base, offerSdp: invite.request.body.toString() }).then(
      ({ endpoint, answerSdp }) => {
        const call = wire(invite.accept({ body: answerSdp, contentType: 'application/sdp' }), endpoint);
        calls.push(call);
        const waiter = waiters.shift();
        if (waiter) waiter(call);
        else incoming.push(call);
      },
      (err: unknown) => invite.reject(hasCode(err, 'SDP_NO_COMMON_CODEC') ? 488 : 500),
    );
  });
  return {
    testUa,
    allocator,
    mediaClock,
    call: async (uri) => {
      const { endpoint, offerSdp } = await MediaEndpoint.offer(base);
      try {
        const { dialog, response } = await testUa.ua.invite({
          to: uri,
          from: `sip:callbin@127.0.0.1:${testUa.port}`,
          body: offerSdp,
          contentType: 'application/sdp',
        });
        endpoint.applyAnswer(response.body.toString());
        const call = wire(dialog, endpoint);
        calls.push(call);
        return call;
      } catch (err) {
        await endpoint.close();
        throw err;
      }
    },
    nextIncoming: (timeoutMs = 10_000) => {
      const ready = incoming.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no incoming call within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((call) => {
          clearTimeout(timer);
          resolve(call);
        });
      });
    },
    close: async () => {
      await Promise.all(calls.map((c) => c.hangup()));
      await testUa.close();
      mediaClock.close();
    },
  };
}

/** A baresip phone that answers automatically, plays `sourceWav` (or silence) and records both directions. */
export interface BaresipPhone {
  baresip: Baresip;
  uri: string;
  /** Folder where sndfile writes `*-dec.wav` (what it heard) and `*-enc.wav` (what it sent). */
  recordDir: string;
  /** Samples of the first `*-dec.wav`, after the call closed. */
  heard(): Promise<Int16Array>;
  stop(): Promise<void>;
}

/** Starts baresip with `answermode=auto`, an `aufile` source when given, and sndfile recording. */
export async function startBaresipPhone(options: { sourceWav?: string } = {}): Promise<BaresipPhone> {
  const recordDir = await mkdtemp(join(tmpdir(), 'callbin-baresip-rec-'));
  // baresip's default ausine source runs only at 48 kHz and fails a G.711 call, so a silent file
  // stands in; it is long because baresip ends the call when its aufile source runs out.
  const sourceWav = options.sourceWav ?? join(recordDir, 'silence.wav');
  if (!options.sourceWav) await writeWav8k(sourceWav, new Int16Array(8000 * 60));
  let baresip: Baresip;
  try {
    baresip = await startBaresip({
      accounts: [`<sip:bob@127.0.0.1>;regint=0;answermode=auto;audio_source=aufile,${sourceWav}`],
      modules: ['aufile.so', 'sndfile.so'],
      extraConfig: [`snd_path ${recordDir}`],
    });
  } catch (err) {
    await rm(recordDir, { recursive: true, force: true });
    throw err;
  }
  return {
    baresip,
    recordDir,
    uri: `sip:bob@127.0.0.1:${baresip.sipPort}`,
    heard: async () => {
      const dec = (await readdir(recordDir)).filter((f) => f.endsWith('-dec.wav'));
      if (dec.length === 0) throw new Error(`baresip wrote no *-dec.wav in ${recordDir}:\n${baresip.output()}`);
      return parseWav(await readFile(join(recordDir, dec[0] as string))).samples;
    },
    stop: async () => {
      await baresip.stop();
      await rm(recordDir, { recursive: true, force: true });
    },
  };
}

/** Writes 8 kHz 16-bit mono PCM to `path`. */
export async function writeWav8k(path: string, samples: Int16Array): Promise<void> {
  const writer = await WavWriter.open(path);
  writer.write(samples);
  await writer.close();
}

/** A small deterministic PRNG (mulberry32) so generated audio is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Speech-like 8 kHz audio: syllables of gliding harmonic voices shaped by two random formants,
 * separated by short pauses, starting and ending with sound. Its pitch glides give a single sharp
 * cross-correlation peak.
 */
export function speechLike(seed: number, syllables = 12): Int16Array {
  const rand = prng(seed);
  const parts: number[] = [];
  for (let s = 0; s < syllables; s++) {
    const n = Math.round(8 * (180 + rand() * 200));
    const [f0a, f0b, f1, f2] = [110 + rand() * 200, 110 + rand() * 200, 300 + rand() * 500, 900 + rand() * 1300];
    let phase = 0;
    for (let i = 0; i < n; i++) {
      const f0 = f0a + ((f0b - f0a) * i) / n;
      phase += (2 * Math.PI * f0) / 8000;
      let v = 0;
      for (let h = 1; h * f0 < 3400; h++) {
        const f = h * f0;
        v +=
          (Math.exp(-(((f - f1) / 150) ** 2)) + 0.6 * Math.exp(-(((f - f2) / 250) ** 2)) + 0.05) * Math.sin(h * phase);
      }
      const env = Math.min(1, i / 80, (n - i) / 240);
      parts.push(env * (v * 0.25 + (rand() - 0.5) * 0.05));
    }
    if (s < syllables - 1) for (let i = Math.round(8 * (40 + rand() * 80)); i > 0; i--) parts.push(0);
  }
  const peak = parts.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return Int16Array.from(parts, (v) => Math.round((v / peak) * 12000));
}

/** The part of `samples` between the first and the last 10 ms frame whose RMS exceeds `thresholdRms`. */
export function trimSilence(samples: Int16Array, thresholdRms = 400): Int16Array {
  const frame = 80;
  const loud: number[] = [];
  for (let start = 0; start + frame <= samples.length; start += frame) {
    let sum = 0;
    for (let i = start; i < start + frame; i++) sum += (samples[i] as number) ** 2;
    if (Math.sqrt(sum / frame) > thresholdRms) loud.push(start);
  }
  if (loud.length === 0) return new Int16Array(0);
  return samples.subarray(loud[0] as number, (loud.at(-1) as number) + frame);
}

/** Highest normalised cross-correlation of `a` against `b` over lags of ±`maxLag` samples, and its lag. */
export function bestCorrelation(a: Int16Array, b: Int16Array, maxLag = 1600): { value: number; lag: number } {
  let energyA = 0;
  let energyB = 0;
  for (const x of a) energyA += x * x;
  for (const y of b) energyB += y * y;
  const norm = Math.sqrt(energyA * energyB);
  let best = { value: 0, lag: 0 };
  if (norm === 0) return best;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let sum = 0;
    const from = Math.max(0, -lag);
    const to = Math.min(a.length, b.length - lag);
    for (let i = from; i < to; i++) sum += (a[i] as number) * (b[i + lag] as number);
    if (sum / norm > best.value) best = { value: sum / norm, lag };
  }
  return best;
}
