// Helpers of the "same room" tests (browsers with SIP phones and PSTN callers, docs/webrtc.md):
// tone checks over a few listening windows, and failures that carry the browser's SIP trace.
import { launchBrowser, writeToneWav } from './browser.ts';
import type { TestBrowser } from './browser.ts';
import { openClient, startClientServer } from './browser-clients.ts';
import type { BrowserClient, ClientServer } from './browser-clients.ts';
import type { PhoneLab } from './phones.ts';

/**
 * Measures (`measure`) and checks (`problems`: an empty list when everything holds) up to `tries`
 * times: on a loaded machine the first window may catch a party still settling in. Every check of
 * one window must hold in that same window; throws with the problems of the last window.
 */
export async function untilHeard<T>(
  measure: () => Promise<T>,
  problems: (heard: T) => string[],
  tries = 4,
): Promise<T> {
  let last: string[] = [];
  for (let i = 0; i < tries; i++) {
    const heard = await measure();
    last = problems(heard);
    if (last.length === 0) return heard;
  }
  throw new Error(`after ${tries} listening windows:\n${last.join('\n')}`);
}

/** Awaits `step`; when it fails, the error gets the last `lines` of what the browser pages logged (SIP trace). */
export async function explained<T>(browser: TestBrowser, step: Promise<T>, lines = 150): Promise<T> {
  try {
    return await step;
  } catch (err) {
    const log = browser
      .log()
      .slice(-lines)
      .map((l) => l.replace(/%c/g, ''))
      .join('\n');
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}\n--- browser log ---\n${log}`, { cause: err });
  }
}

/**
 * An RTP range of 100 port pairs somewhere in 20000-39999 (as startTestCallbin picks), for a phone
 * lab: two callbins on one host with the same range would try to bind each other's ports.
 */
export function randomRtpRange(): { rtpPortMin: number; rtpPortMax: number } {
  const min = 20_000 + 2 * Math.floor(Math.random() * (10_000 - 100));
  return { rtpPortMin: min, rtpPortMax: min + 199 };
}

/** The provider's address of the PSTN callers: calls from it are PSTN calls (browsers and phones use 127.0.0.1). */
export const PROVIDER_IP = '127.0.0.2';

/** Creates the provider at {@link PROVIDER_IP} with the project admin's key (providers are admin-only). */
export async function createPstnProvider(lab: PhoneLab): Promise<void> {
  const res = await fetch(`${lab.callbin.apiUrl}/v1.0/providers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${lab.callbin.admin?.accessKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ hostname: PROVIDER_IP, port: 5060, transport: 'udp', name: 'pstn', codecs: ['PCMU'] }),
  });
  if (res.status !== 200) throw new Error(`POST /v1.0/providers: ${res.status} ${await res.text()}`);
}

/** A browser of a same-room test: Chromium, its page server and a JsSIP client registered as `alice`. */
export interface LabBrowser {
  browser: TestBrowser;
  server: ClientServer;
  client: BrowserClient;
  /** alice's customer SIP domain. */
  domain: string;
}

/**
 * Creates extension `alice` on `lab`, starts Chromium whose microphone plays `toneHz` (sent raw: no
 * echo cancellation, noise suppression or gain control, which cut a steady tone) and registers a
 * JsSIP client as alice over the lab's SIP WebSocket, with its SIP trace in the page log.
 */
export async function registeredBrowser(lab: PhoneLab, toneHz: number, password: string): Promise<LabBrowser> {
  const alice = await lab.api('POST', '/v1.0/extensions', { extension: 'alice', password });
  const browser = await launchBrowser({ microphoneWav: await writeToneWav(toneHz, 60) });
  const server = await startClientServer();
  const client = await openClient(browser, server, 'jssip');
  await client.register({
    uri: `sip:alice@${alice.domain_name}`,
    wsUrl: `ws://127.0.0.1:${lab.callbin.sip.wsPort}/`,
    username: 'alice',
    password,
    rawAudio: true,
    // The SIP trace goes to the page log, shown when a step fails (explained()).
    trace: true,
  });
  await client.waitFor((s) => s.registration === 'registered', 'registered');
  return { browser, server, client, domain: alice.domain_name };
}
