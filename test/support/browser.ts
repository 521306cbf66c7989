// A real headless Chromium for the browser tests (docs/webrtc.md "Testing with a browser"): Debian's
// `chromium` driven by playwright-core, with a fake microphone that plays a WAV the test generates.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Where Debian installs Chromium (`apt-get install chromium`). */
export const CHROMIUM_PATH = process.env.CALLBIN_TEST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * A running headless Chromium; `close()` ends it and removes its profile folder. Pages that use the
 * microphone or WebRTC must come from `http://127.0.0.1:<port>` or `https://…` (a secure context):
 * `about:blank` and `page.setContent()` have no `navigator.mediaDevices`.
 */
export interface TestBrowser {
  browser: Browser;
  context: BrowserContext;
  /** A new tab; its console lines and page errors are kept in {@link log}. */
  newPage(): Promise<Page>;
  /** What the pages printed (console messages, uncaught errors), newest last. */
  log(): string[];
  close(): Promise<void>;
}

/** Options of {@link launchBrowser}. */
export interface LaunchOptions {
  /** A WAV file the fake microphone plays in a loop (`--use-file-for-fake-audio-capture`). */
  microphoneWav?: string;
}

/**
 * Starts Debian's Chromium headless with a fake microphone and camera that need no permission
 * prompt, loopback ICE candidates allowed, and no background connections. Throws when Chromium is
 * not installed (the browser tests never skip: `.ci/run` installs it).
 */
export async function launchBrowser(o: LaunchOptions = {}): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install it with scripts/install-system-deps.sh --test`);
  const profile = await mkdtemp(join(tmpdir(), 'callbin-chromium-'));
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--allow-loopback-in-peer-connection',
    '--autoplay-policy=no-user-gesture-required',
    ...(o.microphoneWav ? [`--use-file-for-fake-audio-capture=${o.microphoneWav}`] : []),
  ];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args,
    permissions: ['microphone'],
  });
  const browser = context.browser() as Browser;
  const lines: string[] = [];
  const watch = (page: Page): Page => {
    page.on('console', (m) => lines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => lines.push(`[pageerror] ${e.message}`));
    return page;
  };
  for (const page of context.pages()) watch(page);
  return {
    browser,
    context,
    newPage: async () => watch(await context.newPage()),
    log: () => lines,
    close: async () => {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Writes a mono 16-bit 48 kHz WAV of a sine tone (`frequencyHz`, `seconds`, amplitude 0–1) into a
 * fresh temp folder and returns its path: what a fake microphone plays.
 */
export async function writeToneWav(frequencyHz: number, seconds: number, amplitude = 0.3): Promise<string> {
  const rate = 48_000;
  const samples = Math.round(rate * seconds);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++)
    data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * frequencyHz * i) / rate) * amplitude * 32767), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  const dir = await mkdtemp(join(tmpdir(), 'callbin-wav-'));
  const path = join(dir, `tone-${frequencyHz}.wav`);
  await writeFile(path, Buffer.concat([header, data]));
  return path;
}

/**
 * Script to evaluate in a page: `window.__callbinListen(stream)` starts an AnalyserNode on a
 * MediaStream, and `window.__callbinHeard()` returns what it heard so far: the peak RMS (0–1), the
 * share of 100 ms windows with RMS above 0.01, and the dominant frequency of the loudest window (Hz).
 * `window.__callbinTones(hzList, ms)` resolves with the mean amplitude (0–1) of each frequency over
 * the next `ms` (see {@link heardTones}).
 */
export const LISTENER_SCRIPT = `
(() => {
  const state = { windows: 0, loud: 0, peakRms: 0, peakHz: 0 };
  window.__callbinListen = (stream) => {
    // Chromium feeds a remote WebRTC stream to WebAudio only while a media element plays it.
    const sink = new Audio();
    sink.muted = true;
    sink.srcObject = stream;
    sink.play().catch(() => undefined);
    const ctx = new AudioContext();
    const source = ctx.createMediaStreamSource(stream);
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 4096;
    source.connect(analyser);
    const time = new Float32Array(analyser.fftSize);
    const freq = new Float32Array(analyser.frequencyBinCount);
    window.__callbinAudio = { ctx, source, analyser, sink };
    setInterval(() => {
      // After the call ends (its tracks ended) the silence is not counted: it is not what the call carried.
      if (stream.getAudioTracks().every((t) => t.readyState === 'ended')) return;
      analyser.getFloatTimeDomainData(time);
      let sum = 0;
      for (const v of time) sum += v * v;
      const rms = Math.sqrt(sum / time.length);
      state.windows++;
      if (rms > 0.01) state.loud++;
      if (rms > state.peakRms) {
        state.peakRms = rms;
        analyser.getFloatFrequencyData(freq);
        let best = 0;
        for (let i = 1; i < freq.length; i++) if (freq[i] > freq[best]) best = i;
        state.peakHz = (best * ctx.sampleRate) / analyser.fftSize;
      }
    }, 100);
  };
  window.__callbinHeard = () => ({ ...state, loudShare: state.windows ? state.loud / state.windows : 0 });
  // Goertzel amplitude (0–1 of full scale) of each frequency in \`hzList\`, averaged over the 100 ms
  // windows of the next \`ms\` milliseconds of remote audio.
  window.__callbinTones = (hzList, ms) => new Promise((resolve) => {
    const audio = window.__callbinAudio;
    if (!audio) return resolve(Object.fromEntries(hzList.map((hz) => [hz, 0])));
    const { ctx, analyser } = audio;
    const time = new Float32Array(analyser.fftSize);
    const sums = hzList.map(() => 0);
    let windows = 0;
    const timer = setInterval(() => {
      analyser.getFloatTimeDomainData(time);
      windows++;
      hzList.forEach((hz, k) => {
        const coeff = 2 * Math.cos((2 * Math.PI * hz) / ctx.sampleRate);
        let s1 = 0;
        let s2 = 0;
        for (const x of time) { const s0 = x + coeff * s1 - s2; s2 = s1; s1 = s0; }
        sums[k] += (2 * Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2))) / time.length;
      });
    }, 100);
    setTimeout(() => {
      clearInterval(timer);
      resolve(Object.fromEntries(hzList.map((hz, k) => [hz, windows ? sums[k] / windows : 0])));
    }, ms);
  });
})();
`;

/**
 * The mean amplitude (0–1 of full scale, Goertzel) of each frequency of `hzList` in the remote audio
 * a page hears over the next `ms` milliseconds (the page runs LISTENER_SCRIPT and listens to a call).
 */
export async function heardTones(page: Page, hzList: readonly number[], ms = 1500): Promise<Record<number, number>> {
  return page.evaluate(([hz, t]) => (globalThis as any).__callbinTones(hz, t), [hzList, ms] as const);
}
