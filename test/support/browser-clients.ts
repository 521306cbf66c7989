// Browser SIP clients for the browser tests (docs/webrtc.md "Testing with a browser"): JsSIP 3.13 and
// SIP.js 0.21 running in a real page, driven from Node through one small API (register,
// unregister, call, answer, hang up, DTMF) whose state the page keeps in `window.__client`.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join, normalize, sep } from 'node:path';
import type { Page } from 'playwright-core';
import { LISTENER_SCRIPT } from './browser.ts';
import type { TestBrowser } from './browser.ts';
import { jssipBundle } from '../../src/api/phone/jssip-bundle.ts';
import { JSSIP_CLIENT, SIPJS_CLIENT } from './browser-client-scripts.ts';

/** The two browser SIP libraries the tests drive. */
export type ClientKind = 'jssip' | 'sipjs';

/** What the page keeps in `window.__client` (polled by the tests). */
export interface ClientState {
  lib: ClientKind;
  /** `registering` → `registered` | `failed`; `unregistered` after unregister(). */
  registration: 'idle' | 'registering' | 'registered' | 'failed' | 'unregistered';
  /** Why registration failed: the library's cause and the SIP status when there was one. */
  registrationCause: string;
  registrationStatus: number;
  /** The current (or last) call: `incoming` waits for answer(); `ended`/`failed` are final. */
  call: 'idle' | 'calling' | 'ringing' | 'incoming' | 'established' | 'ended' | 'failed';
  callCause: string;
  /** Incoming calls seen so far, and the caller of the last one. */
  incoming: number;
  caller: string;
  /** DTMF tones sent so far. */
  dtmfSent: string;
  /** Page-side errors (exceptions thrown by the library calls). */
  errors: string[];
}

/** Options of {@link BrowserClient.register}. */
export interface RegisterOptions {
  /** The address of record, `sip:alice@<domain_name>`. */
  uri: string;
  /** `ws://127.0.0.1:<CALLBIN_SIP_WS_PORT>/` */
  wsUrl: string;
  /** The digest username (the extension name inside its customer's domain). */
  username: string;
  password: string;
  /** Registration lifetime asked for (seconds; default 600). */
  expires?: number;
  /** Log every SIP message to the page console (see TestBrowser.log()). */
  trace?: boolean;
  /** Send the microphone without echo cancellation, noise suppression or gain control (tone tests). */
  rawAudio?: boolean;
}

/** A tiny HTTP server giving the pages a secure-context origin (`http://127.0.0.1:<port>`) and the libraries. */
export interface ClientServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `/` (an empty page), `/jssip.js`, `/sipjs/…` (SIP.js's ES modules) and the two client scripts. */
export async function startClientServer(): Promise<ClientServer> {
  const sipjsRoot = dirname(createRequire(import.meta.url).resolve('sip.js'));
  const jssip = await jssipBundle();
  const page = '<!doctype html><meta charset="utf-8"><title>callbin browser client</title><body></body>';
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const send = (type: string, body: string | Buffer): void => {
      res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (path === '/') return send('text/html', page);
    if (path === '/jssip.js') return send('text/javascript', jssip);
    if (path === '/client-jssip.js') return send('text/javascript', JSSIP_CLIENT);
    if (path === '/client-sipjs.js') return send('text/javascript', SIPJS_CLIENT);
    if (path.startsWith('/sipjs/')) {
      const file = normalize(join(sipjsRoot, path.slice('/sipjs/'.length)));
      if (!file.startsWith(sipjsRoot + sep) || !file.endsWith('.js')) return void res.writeHead(404).end();
      readFile(file).then(
        (body) => send('text/javascript', body),
        () => void res.writeHead(404).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One browser tab running a SIP client, driven from the test. */
export interface BrowserClient {
  page: Page;
  kind: ClientKind;
  register(o: RegisterOptions): Promise<void>;
  /** Sends a refreshing REGISTER now (same Call-ID, next CSeq), as the library does before expiry. */
  refresh(): Promise<void>;
  unregister(): Promise<void>;
  /** Calls `target` (a number or extension in the registered domain, or a full SIP URI). */
  call(target: string): Promise<void>;
  /** Answers the incoming call. */
  answer(): Promise<void>;
  hangup(): Promise<void>;
  /** Sends RFC 4733 DTMF tones on the established call. */
  dtmf(tones: string): Promise<void>;
  /** The MIME type of the audio codec the call receives (`audio/opus`), '' before media (JsSIP only). */
  codec(): Promise<string>;
  /** Stops the user agent (closes the WebSocket). */
  stop(): Promise<void>;
  state(): Promise<ClientState>;
  /** Polls `window.__client` until `predicate` holds; returns that state. */
  waitFor(predicate: (s: ClientState) => boolean, what: string, timeoutMs?: number): Promise<ClientState>;
}

/** Opens a tab on `server` with the `kind` client loaded (and LISTENER_SCRIPT for the remote audio). */
export async function openClient(browser: TestBrowser, server: ClientServer, kind: ClientKind): Promise<BrowserClient> {
  const page = await browser.newPage();
  await page.goto(`${server.url}/`);
  await page.addScriptTag({ content: LISTENER_SCRIPT });
  if (kind === 'jssip') {
    await page.addScriptTag({ url: '/jssip.js' });
    await page.addScriptTag({ url: '/client-jssip.js' });
  } else {
    await page.addScriptTag({ url: '/client-sipjs.js', type: 'module' });
  }
  await page.waitForFunction(() => (globalThis as any).__callbin !== undefined, undefined, { timeout: 10_000 });
  const run = (name: string, ...args: unknown[]): Promise<void> =>
    page.evaluate(async ([n, a]) => (globalThis as any).__callbin[n as string](...(a as unknown[])), [
      name,
      args,
    ] as const);
  const state = (): Promise<ClientState> => page.evaluate(() => ({ ...(globalThis as any).__client }));
  return {
    page,
    kind,
    register: (o) => run('register', o),
    refresh: () => run('refresh'),
    unregister: () => run('unregister'),
    call: (target) => run('call', target),
    answer: () => run('answer'),
    hangup: () => run('hangup'),
    dtmf: (tones) => run('dtmf', tones),
    codec: () => page.evaluate(async () => String(await (globalThis as any).__callbin.codec?.())),
    stop: () => run('stop'),
    state,
    waitFor: async (predicate, what, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      let last: ClientState | undefined;
      while (Date.now() < deadline) {
        last = await state();
        if (predicate(last)) return last;
        await new Promise((r) => setTimeout(r, 50));
      }
      const log = browser.log().slice(-40).join('\n');
      throw new Error(`${kind}: ${what} not reached in ${timeoutMs} ms; state ${JSON.stringify(last)}\n${log}`);
    },
  };
}
