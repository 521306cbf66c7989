import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { decodeAlaw, decodeMulaw, rtpPayloadOffset } from '../../src/media/index.ts';
import { startCallbin, type CallbinHandle } from '../../src/main.ts';
import { startBaresip, type Baresip, type BaresipEvent } from './baresip.ts';
import { writeWav8k } from './media-call.ts';
import { goertzelPower } from '../../src/media/testing/tones.ts';

/** 8 kHz: every WAV here is G.711's rate. */
const RATE = 8000;

/** A pure tone of `hz` at amplitude 8000, `seconds` long (long: baresip ends a call when its aufile source runs out). */
export function tone(hz: number, seconds = 240): Int16Array {
  return Int16Array.from({ length: RATE * seconds }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / RATE)),
  );
}

/** Amplitude of the `hz` component of `samples` (Goertzel): about the tone's amplitude when present, near 0 when not. */
export function toneAmplitude(samples: Int16Array, hz: number): number {
  return 2 * Math.sqrt(goertzelPower(samples, hz, RATE));
}

/** Root mean square of `samples`. */
export function rms(samples: Int16Array): number {
  let sum = 0;
  for (const x of samples) sum += x * x;
  return samples.length === 0 ? 0 : Math.sqrt(sum / samples.length);
}

/** The PCM of a WAV being written (libsndfile fills in the sizes only at close): from the `data` chunk to the end. */
function growingWavSamples(bytes: Buffer): Int16Array {
  const at = bytes.indexOf('data', 12, 'latin1');
  if (at < 0) return new Int16Array(0);
  const start = at + 8;
  const count = Math.floor((bytes.length - start) / 2);
  const pcm = new Int16Array(count);
  for (let i = 0; i < count; i++) pcm[i] = bytes.readInt16LE(start + 2 * i);
  return pcm;
}

/** A position in what a phone heard: how many samples each recording file had (baresip may start a new file on a re-INVITE). */
export interface HeardMark {
  samples: Map<string, number>;
}

/** A baresip phone registered as an extension of callbin, playing a tone and recording what it hears. */
export interface Phone {
  extension: string;
  baresip: Baresip;
  toneHz: number;
  /** Dials `target` (an extension or number) through callbin. */
  dial(target: string): Promise<void>;
  /** Resolves with the next event of `type` after those already seen. */
  nextEvent(type: string, timeoutMs?: number): Promise<BaresipEvent>;
  /** Marks the current end of the newest recording. */
  mark(): Promise<HeardMark>;
  /** The samples heard since `mark`. */
  heardSince(mark: HeardMark): Promise<Int16Array>;
  /** How many G.711 RTP packets reached the phone so far (a phone added with `traceRtp`). */
  rtpMark(): Promise<number>;
  /** The audio of the G.711 RTP packets that reached the phone since `mark`, decoded, in arrival order. */
  rtpHeardSince(mark: number): Promise<Int16Array>;
  /** Runs a ctrl_tcp command. */
  command(command: string, params?: string): Promise<string>;
  stop(): Promise<void>;
}

/** callbin in-process on ephemeral ports, one customer, and its extensions' phones. */
export interface PhoneLab {
  callbin: CallbinHandle;
  sipPort: number;
  /** Calls the API as the customer; asserts a 200 unless `expectStatus` says otherwise. */
  api(method: string, path: string, body?: unknown, expectStatus?: number): Promise<any>;
  /**
   * Creates extension `extension` and, unless `register` is false, a phone registered as it;
   * `traceRtp` also records the RTP packets that reach it (see BaresipOptions.traceReceived).
   */
  addPhone(
    extension: string,
    options: { toneHz: number; autoAnswer?: boolean; register?: boolean; traceRtp?: boolean },
  ): Promise<Phone>;
  /** Live calls of the customer, newest first. */
  liveCalls(): Promise<any[]>;
  close(): Promise<void>;
}

/** Waits `ms` of wall-clock time (audio needs real time to flow). */
export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts callbin and a customer with an access key; phones are added with {@link PhoneLab.addPhone}. `overrides` change settings (`sipWsPort: 0` for browsers). */
export async function startPhoneLab(overrides: Partial<Config> = {}): Promise<PhoneLab> {
  const dataDir = await mkdtemp(join(tmpdir(), 'callbin-phones-'));
  const config = loadConfig(
    {},
    {
      dataDir,
      httpHost: '127.0.0.1',
      httpPort: 0,
      sipHost: '127.0.0.1',
      sipPort: 0,
      logLevel: 'silent',
      ...overrides,
    },
  );
  const callbin = await startCallbin(config);
  const phones: Phone[] = [];
  const request = async (
    method: string,
    path: string,
    body: unknown,
    key: string,
    expectStatus = 200,
  ): Promise<any> => {
    const res = await fetch(`${callbin.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = await res.json();
    assert.equal(res.status, expectStatus, `${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  };
  const adminKey = callbin.admin?.accessKey ?? '';
  const customer = await request('POST', '/v1.0/customers', { name: 'phones' }, adminKey);
  const key = (await request('POST', '/v1.0/accesskeys', { name: 'k', customer_id: customer.id }, adminKey))
    .token as string;
  const sipPort = callbin.sip.address.port;
  const lab: PhoneLab = {
    callbin,
    sipPort,
    api: (method, path, body, expectStatus) => request(method, path, body, key, expectStatus),
    addPhone: async (extension, options) => {
      const password = `Pass-${extension}-secret`;
      const ext = await lab.api('POST', '/v1.0/extensions', { extension, password });
      if (options.register === false) return undefined as unknown as Phone;
      const phone = await startPhone({ username: ext.username as string, extension, password, sipPort, ...options });
      phones.push(phone);
      return phone;
    },
    liveCalls: async () =>
      (await lab.api('GET', '/v1.0/calls?page_size=100')).result.filter(
        (c: { status: string }) => c.status !== 'hangup',
      ),
    close: async () => {
      await Promise.all(phones.map((p) => p.stop()));
      await callbin.close();
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
  return lab;
}

/** The G.711 audio packets among received datagrams, each decoded. */
async function g711Frames(baresip: Baresip): Promise<Int16Array[]> {
  const frames: Int16Array[] = [];
  for (const d of await baresip.received()) {
    const pt = (d[1] ?? 0) & 0x7f;
    if (d.length < 12 || ((d[0] ?? 0) & 0xc0) !== 0x80 || (pt !== 0 && pt !== 8)) continue;
    const payload = d.subarray(rtpPayloadOffset(d));
    const pcm = new Int16Array(payload.length);
    (pt === 0 ? decodeMulaw : decodeAlaw)(payload, pcm);
    frames.push(pcm);
  }
  return frames;
}

async function startPhone(o: {
  username: string;
  extension: string;
  password: string;
  sipPort: number;
  toneHz: number;
  autoAnswer?: boolean;
  traceRtp?: boolean;
}): Promise<Phone> {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-phone-'));
  const wav = join(dir, 'tone.wav');
  await writeWav8k(wav, tone(o.toneHz));
  const answer = o.autoAnswer === false ? 'manual' : 'auto';
  let baresip: Baresip;
  try {
    baresip = await startBaresip({
      accounts: [
        `<sip:${o.username}@127.0.0.1:${o.sipPort}>;auth_pass=${o.password};regint=60;answermode=${answer};audio_source=aufile,${wav}`,
      ],
      modules: ['aufile.so', 'sndfile.so', 'menu.so'],
      extraConfig: [`snd_path ${dir}`],
      ...(o.traceRtp ? { traceReceived: true } : {}),
    });
    await baresip.waitForOutput(/200 OK \(\) \[1 binding\]/);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const seen = new Map<string, number>();
  /** Every recording of what the phone heard, oldest first. */
  const recordings = async (): Promise<Map<string, Int16Array>> => {
    const files = (await readdir(dir)).filter((f) => f.endsWith('-dec.wav'));
    const withTimes = await Promise.all(files.map(async (f) => ({ f, t: (await stat(join(dir, f))).birthtimeMs })));
    const out = new Map<string, Int16Array>();
    for (const { f } of withTimes.sort((a, b) => a.t - b.t))
      out.set(f, growingWavSamples(await readFile(join(dir, f))));
    return out;
  };
  return {
    extension: o.extension,
    baresip,
    toneHz: o.toneHz,
    dial: async (target) => {
      await baresip.command('dial', `sip:${target}@127.0.0.1:${o.sipPort}`);
    },
    nextEvent: async (type, timeoutMs = 15_000) => {
      const skip = seen.get(type) ?? 0;
      const event = await baresip.waitForEvent(
        (e) => e === baresip.events.filter((x) => x.type === type)[skip],
        timeoutMs,
      );
      seen.set(type, skip + 1);
      return event;
    },
    mark: async () => ({ samples: new Map([...(await recordings())].map(([f, pcm]) => [f, pcm.length])) }),
    heardSince: async (mark) => {
      const parts = [...(await recordings())].map(([f, pcm]) => pcm.subarray(mark.samples.get(f) ?? 0));
      const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    },
    rtpMark: async () => (await g711Frames(baresip)).length,
    rtpHeardSince: async (mark) => {
      const frames = (await g711Frames(baresip)).slice(mark);
      const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
      let at = 0;
      for (const f of frames) {
        out.set(f, at);
        at += f.length;
      }
      return out;
    },
    command: (command, params) => baresip.command(command, params),
    stop: async () => {
      await baresip.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What two phones heard of each other over the next `ms`: each one's amplitude of the other's tone. */
export async function listen(phones: readonly Phone[], ms = 1500): Promise<Int16Array[]> {
  const marks = await Promise.all(phones.map((p) => p.mark()));
  await pause(ms);
  return Promise.all(phones.map((p, i) => p.heardSince(marks[i] as HeardMark)));
}
