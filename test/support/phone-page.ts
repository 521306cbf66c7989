// Driving callbin's softphone page at /phone in Chromium (docs/webrtc.md "The softphone page"): sign
// in through its form, dial with its pad, and read what the page heard and what its call negotiated.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { LISTENER_SCRIPT, type TestBrowser } from './browser.ts';

/** What LISTENER_SCRIPT heard on the page's remote stream (see `window.__callbinHeard`). */
export interface Heard {
  windows: number;
  loud: number;
  peakRms: number;
  peakHz: number;
  loudShare: number;
}

/** The page's `window.__phone.state`. */
export function phoneState(page: Page): Promise<string> {
  return page.evaluate(() => (globalThis as any).__phone.state as string);
}

/** Waits until the page is in one of `states`; returns the state reached. */
export async function waitForPhoneState(page: Page, states: string[], timeout = 20_000): Promise<string> {
  await page.waitForFunction((s) => s.includes((globalThis as any).__phone?.state), states, { timeout });
  return phoneState(page);
}

/** What the page recorded (`window.__phone.events`): states, SIP session events, DTMF sent. */
export function phoneEvents(page: Page): Promise<{ type: string; detail?: unknown }[]> {
  return page.evaluate(() => (globalThis as any).__phone.events);
}

/**
 * A new tab on `<apiUrl>/phone`, signed in through its form as `username`, registered. It runs
 * LISTENER_SCRIPT (see {@link listenToRemote}); JsSIP's warnings and errors, and every SIP message
 * with CALLBIN_TEST_SIP_TRACE=1, go to the browser's log.
 */
export async function openPhonePage(
  browser: TestBrowser,
  apiUrl: string,
  username: string,
  password: string,
): Promise<Page> {
  const page = await browser.newPage();
  await page.addInitScript({ content: LISTENER_SCRIPT });
  const debug = process.env.CALLBIN_TEST_SIP_TRACE === '1' ? 'JsSIP:*' : 'JsSIP:WARN*,JsSIP:ERROR*';
  await page.addInitScript({ content: `localStorage.setItem('debug', '${debug}');` });
  await page.goto(`${apiUrl}/phone`);
  await waitForPhoneState(page, ['signed-out']);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.equal(await waitForPhoneState(page, ['registered', 'registration-failed']), 'registered');
  return page;
}

/** Presses `key` on the page's dial pad. */
export async function pressKey(page: Page, key: string): Promise<void> {
  await page.getByRole('group', { name: 'Dial pad' }).getByRole('button', { name: key, exact: true }).click();
}

/** Types `number` as a user would (`+` on the keyboard, the digits on the dial pad), then clicks Call. */
export async function dialWithPad(page: Page, number: string): Promise<void> {
  const target = page.getByLabel('Number or extension');
  await target.fill(number.startsWith('+') ? '+' : '');
  for (const key of number.replace(/^\+/, '')) await pressKey(page, key);
  assert.equal(await target.inputValue(), number);
  await page.getByRole('button', { name: 'Call' }).click();
}

/** Starts LISTENER_SCRIPT's analyser on the page's remote stream once the call has one. */
export async function listenToRemote(page: Page): Promise<void> {
  await page
    .waitForFunction(() => (globalThis as any).__phone.remoteStream !== null, undefined, { timeout: 20_000 })
    .catch(async (err: Error) => {
      throw new Error(`no remote stream: ${err.message}; page events: ${JSON.stringify(await phoneEvents(page))}`);
    });
  await page.evaluate(() => (globalThis as any).__callbinListen((globalThis as any).__phone.remoteStream));
}

/** What the page heard since {@link listenToRemote} (windows after the call ended are not counted). */
export function heard(page: Page): Promise<Heard> {
  return page.evaluate(() => (globalThis as any).__callbinHeard());
}

/** Waits until the call's WebRTC transport is up (ICE and DTLS done): media flows from then on. */
export async function waitForMedia(page: Page): Promise<void> {
  const up = () => (globalThis as any).__phone.session?.connection?.connectionState === 'connected';
  await page.waitForFunction(up, undefined, { timeout: 20_000 });
}

/** Waits until callbin's current description of the call (its answer, or its offer) has `direction`. */
export async function waitForRemoteDirection(page: Page, direction: string): Promise<void> {
  await page.waitForFunction(
    (d) =>
      new RegExp(`^a=${d}\\r?$`, 'm').test(
        (globalThis as any).__phone.session?.connection?.currentRemoteDescription?.sdp ?? '',
      ),
    direction,
    { timeout: 10_000 },
  );
}

/** RTP packets the page has received on the call so far (WebRTC stats of the inbound audio). */
export function packetsReceived(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const stats = await (globalThis as any).__phone.session.connection.getStats();
    let n = 0;
    stats.forEach((s: any) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') n += s.packetsReceived;
    });
    return n;
  });
}
