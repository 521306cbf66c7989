import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import { expectStatus, startTestCallbin, type TestCallbin } from '../support/callbin.ts';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET with the path sent exactly as written (fetch would resolve `..` before sending). */
function rawGet(base: string, path: string): Promise<Raw> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function createExtension(cb: TestCallbin, extension: string, password: string) {
  return expectStatus(await cb.api('POST', '/v1.0/extensions', { extension, password }), 200) as {
    id: string;
    username: string;
    domain_name: string;
  };
}

async function waitForState(page: Page, states: string[]): Promise<string> {
  await page.waitForFunction((s) => s.includes((globalThis as any).__phone?.state), states, { timeout: 15_000 });
  return page.evaluate(() => (globalThis as any).__phone.state as string);
}

async function signIn(page: Page, username: string, password: string, domain = ''): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  if (domain !== '') await page.getByLabel('Domain').fill(domain);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('the softphone page at /phone', () => {
  let cb: TestCallbin;
  let off: TestCallbin;
  let browser: TestBrowser;
  let shots: string;

  before(async () => {
    cb = await startTestCallbin({ sipWsPort: 0 });
    off = await startTestCallbin();
    browser = await launchBrowser();
    shots = await mkdtemp(join(tmpdir(), 'callbin-phone-page-'));
  });

  after(async () => {
    await browser?.close();
    await cb?.close();
    await off?.close();
  });

  it('serves the page, its script, style and JsSIP without a credential, with a same-origin CSP', async () => {
    const wsPort = cb.handle.sip.wsPort;
    assert.ok(wsPort, 'the WS listener is on');
    const page = await rawGet(cb.handle.apiUrl, '/phone');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${wsPort}(;|$)`));
    assert.match(page.body, /<script src="\/phone\/jssip\.min\.js"/);
    assert.equal((await rawGet(cb.handle.apiUrl, '/phone/')).status, 200);
    const js = await rawGet(cb.handle.apiUrl, '/phone/phone.js');
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    assert.match(String((await rawGet(cb.handle.apiUrl, '/phone/phone.css')).headers['content-type']), /^text\/css/);
    assert.equal((await rawGet(cb.handle.apiUrl, '/phone/phone-audio.js')).status, 200);
    const jssip = await rawGet(cb.handle.apiUrl, '/phone/jssip.min.js');
    assert.equal(jssip.status, 200);
    assert.match(String(jssip.headers['content-type']), /^text\/javascript/);
    assert.match(jssip.body, /var JsSIP=/);
    assert.ok(jssip.body.length > 100_000, 'the whole library');
  });

  it('config.json gives the WebSocket URL for the host the browser used; 404 SIP_WEBSOCKET_OFF when off', async () => {
    const on = await rawGet(cb.handle.apiUrl, '/phone/config.json');
    assert.equal(on.status, 200);
    assert.deepEqual(JSON.parse(on.body), {
      ws_url: `ws://127.0.0.1:${cb.handle.sip.wsPort}/`,
      sip_domain: cb.handle.config.sipDomain,
    });
    const offAnswer = await rawGet(off.handle.apiUrl, '/phone/config.json');
    assert.equal(offAnswer.status, 404);
    const error = JSON.parse(offAnswer.body).error;
    assert.equal(error.reason, 'SIP_WEBSOCKET_OFF');
    assert.match(error.message, /CALLBIN_SIP_WSS_PORT/);
  });

  it('never serves a file outside the page: traversal attempts are 404', async () => {
    const attempts = [
      '/phone/../../package.json',
      '/phone/../package.json',
      '/phone/..%2f..%2fpackage.json',
      '/phone/%2e%2e/%2e%2e/package.json',
      '/phone/%2E%2E%2F%2E%2E%2Fpackage.json',
      '/phone/..%5c..%5cpackage.json',
      '/phone/%252e%252e/package.json',
      '/phone/....//....//package.json',
      '/phone/jssip-bundle.ts',
      '/phone/../routes/phone.ts',
      '/phone//etc/passwd',
      '/phone/../v1.0/customers',
      '/phone/%2e%2e/v1.0/customers',
    ];
    for (const path of attempts) {
      const res = await rawGet(cb.handle.apiUrl, path);
      assert.equal(res.status, 404, `${path}: ${res.status} ${res.body.slice(0, 200)}`);
      assert.equal(JSON.parse(res.body).error.reason, 'ROUTE_NOT_FOUND', path);
      assert.doesNotMatch(res.body, /"name": "callbin"|root:x:0|import /, path);
    }
  });

  it('loads without console errors, signs in over WS and registers the extension', async () => {
    const ext = await createExtension(cb, '2001', 'browser-secret-1');
    const page = await browser.newPage();
    const before = browser.log().length;
    await page.goto(`${cb.handle.apiUrl}/phone`);
    await waitForState(page, ['signed-out']);
    await signIn(page, ext.username, 'browser-secret-1');
    assert.equal(await waitForState(page, ['registered', 'registration-failed']), 'registered');
    assert.equal(await page.getByRole('status').textContent(), 'Registered: ready to call');
    assert.ok(await page.getByRole('button', { name: 'Call' }).isVisible());
    const registered = expectStatus(await cb.api('GET', `/v1.0/extensions/${ext.id}`), 200).registered;
    assert.equal(registered.length, 1);
    assert.equal(String(registered[0].transport).toUpperCase(), 'WS');
    const errors = browser
      .log()
      .slice(before)
      .filter((l) => l.startsWith('[error]') || l.startsWith('[pageerror]'));
    assert.deepEqual(errors, []);
    const shot = join(shots, 'phone-registered.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`softphone screenshot: ${shot}`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await waitForState(page, ['signed-out']);
    await page.close();
  });

  it("signs in with the extension's name in its own domain", async () => {
    const ext = await createExtension(cb, '2003', 'browser-secret-3');
    const page = await browser.newPage();
    await page.goto(`${cb.handle.apiUrl}/phone`);
    await waitForState(page, ['signed-out']);
    await signIn(page, '2003', 'browser-secret-3', ext.domain_name);
    assert.equal(await waitForState(page, ['registered', 'registration-failed']), 'registered');
    await page.close();
  });

  it('a refused microphone says so when calling', async () => {
    const ext = await createExtension(cb, '2004', 'browser-secret-4');
    const page = await browser.newPage();
    // The browser refuses the microphone as it does when the user blocks it.
    await page.addInitScript({
      content: `navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));`,
    });
    await page.goto(`${cb.handle.apiUrl}/phone`);
    await waitForState(page, ['signed-out']);
    await signIn(page, ext.username, 'browser-secret-4');
    await waitForState(page, ['registered']);
    await page.getByLabel('Number or extension').fill('2001');
    await page.getByRole('button', { name: 'Call' }).click();
    await page.getByRole('alert').filter({ hasText: 'Microphone access was refused' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate(() => (globalThis as any).__phone.state), 'registered');
    await page.close();
  });

  it('a wrong password shows "Registration failed: wrong username or password"', async () => {
    const ext = await createExtension(cb, '2002', 'browser-secret-2');
    const page = await browser.newPage();
    await page.goto(`${cb.handle.apiUrl}/phone`);
    await waitForState(page, ['signed-out']);
    await signIn(page, ext.username, 'not-the-password');
    assert.equal(await waitForState(page, ['registered', 'registration-failed']), 'registration-failed');
    const message = await page.getByRole('alert').first().textContent();
    assert.equal(message, 'Registration failed: wrong username or password.');
    assert.ok(await page.getByRole('button', { name: 'Sign in' }).isEnabled(), 'the form can be sent again');
    await page.close();
  });

  it('with SIP over WebSocket off, the page says how to turn it on', async () => {
    const page = await browser.newPage();
    await page.goto(`${off.handle.apiUrl}/phone`);
    const alert = page.getByRole('alert').first();
    await alert.filter({ hasText: 'CALLBIN_SIP_WSS_PORT' }).waitFor({ timeout: 10_000 });
    assert.match(String(await alert.textContent()), /^SIP over WebSocket is off: set CALLBIN_SIP_WSS_PORT/);
    assert.ok(await page.getByRole('button', { name: 'Sign in' }).isDisabled());
    await page.close();
  });
});
