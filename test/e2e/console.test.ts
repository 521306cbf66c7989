import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import { expectStatus, startTestCallbin, waitForCall, type TestCallbin } from '../support/callbin.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  answeringProvider,
  createCustomer,
  ladderLabels,
  placeCall,
  show,
  signIn,
  type TestCustomer,
} from './console-helpers.ts';

/** The rows of the live list, by call id. */
const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const liveRow = (page: Page, id: string) => page.locator(`table[aria-label="Live calls"] tr[data-id="${id}"]`);

describe('the web console at /console: sign-in, live calls, a call page', () => {
  let cb: TestCallbin;
  let browser: TestBrowser;
  let acme: TestCustomer;
  let sipp: SippProcess;
  let shots: string;

  before(async () => {
    cb = await startTestCallbin();
    browser = await launchBrowser();
    acme = await createCustomer(cb, 'Acme');
    sipp = await answeringProvider(cb, 2);
    shots = await mkdtemp(join(tmpdir(), 'callbin-console-'));
  });

  after(async () => {
    await browser?.close();
    await sipp?.stop();
    await cb?.close();
  });

  it('serves the page, its script (uPlot and CodeMirror bundled) and style without a credential', async () => {
    const page = await fetch(`${cb.handle.apiUrl}/console`);
    assert.equal(page.status, 200);
    assert.match(String(page.headers.get('content-security-policy')), /script-src 'self';.*connect-src 'self'/);
    assert.match(await page.text(), /<script src="\/console\/console\.js"/);
    const js = await fetch(`${cb.handle.apiUrl}/console/console.js`);
    assert.equal(js.status, 200);
    const script = await js.text();
    assert.match(script, /uPlot|uplot/, 'the chart library is in the bundle');
    assert.match(script, /cm-editor/, 'the editor library is in the bundle');
    const css = await fetch(`${cb.handle.apiUrl}/console/console.css`);
    assert.match(String(css.headers.get('content-type')), /^text\/css/);
    assert.match(await css.text(), /\.uplot/);
    for (const path of ['/console/client/main.js', '/console/console-plugin.ts', '/console/index.js'])
      assert.equal((await fetch(`${cb.handle.apiUrl}${path}`)).status, 404, path);
  });

  it('signs in with a user and with an access key; a wrong password shows the error; sign-out ends the session', async () => {
    const page = await browser.newPage();
    await page.goto(`${cb.handle.apiUrl}/console`);
    await page.waitForFunction(() => (globalThis as any).__console?.view === 'signin');
    await page.getByLabel('Username').fill(acme.username);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'INVALID_CREDENTIALS' }).waitFor();
    assert.equal(await page.evaluate(() => (globalThis as any).__console.me), null);

    await signIn(page, cb.handle.apiUrl, { username: acme.username, password: acme.password });
    assert.equal(
      await page.evaluate(() => (globalThis as any).sessionStorage.length),
      0,
      'a user keeps nothing in the tab',
    );
    assert.equal(await page.evaluate(() => (globalThis as any).__console.me.customerId), acme.id);
    assert.match((await page.locator('#who').textContent()) ?? '', /Acme/);
    const cookies = await browser.context.cookies(cb.handle.apiUrl);
    assert.ok(
      cookies.some((c) => c.name === 'token' && c.httpOnly),
      'the login token is an HttpOnly cookie',
    );
    await page.reload();
    await page.waitForFunction(() => (globalThis as any).__console?.me?.customerId !== undefined, undefined);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForFunction(() => (globalThis as any).__console.view === 'signin');
    assert.ok(
      !(await browser.context.cookies(cb.handle.apiUrl)).some((c) => c.name === 'token'),
      'the cookie is cleared',
    );
    assert.equal(await page.evaluate(() => fetch('/v1.0/customer').then((r) => r.status)), 401);

    await signIn(page, cb.handle.apiUrl, { key: acme.key });
    assert.equal(await page.evaluate(() => (globalThis as any).__console.me.customerId), acme.id);
    assert.equal(await page.evaluate(() => (globalThis as any).__console.me.admin), false);
    await page.close();
  });

  it('lists a call placed through the API within 1 s, drops it at hangup; the Hang up button ends a call', async () => {
    const page = await browser.newPage();
    await signIn(page, cb.handle.apiUrl, { key: acme.key });
    await show(page, 'calls', 'calls');
    await page.locator('#no-calls').waitFor();

    const first = await placeCall(acme, '+15550002001');
    const sent = Date.now();
    await liveRow(page, first.id).waitFor({ timeout: 1_000 });
    console.log(`# a new call was listed ${Date.now() - sent} ms after POST /calls answered`);
    await waitForCall(acme, first.id, (c) => c.status === 'progressing');
    await page.locator(`tr[data-id="${first.id}"] .status.progressing`).waitFor({ timeout: 1_000 });

    const second = await placeCall(acme, '+15550002002');
    await waitForCall(acme, second.id, (c) => c.status === 'progressing');
    await liveRow(page, second.id).waitFor({ timeout: 1_000 });

    // A quality sample of the first call's leg (every 5 s while it is up) for the call page's chart.
    await until('a quality entry', async () => {
      const res = await acme.api('GET', `/v1.0/calls/${first.id}/timeline?kinds=quality`);
      return res.status === 200 && res.body.result.length > 0;
    });

    // The API hangs up the first: its row leaves.
    expectStatus(await acme.api('POST', `/v1.0/calls/${first.id}/hangup`), 200);
    const hung = Date.now();
    await liveRow(page, first.id).waitFor({ state: 'detached', timeout: 1_000 });
    console.log(`# a hung-up call left the list ${Date.now() - hung} ms after the API hangup answered`);
    assert.ok(await liveRow(page, second.id).isVisible(), 'the other call stays');

    // The page's own button hangs up the second.
    await page.getByRole('button', { name: `Hang up ${second.id}` }).click();
    await waitForCall(acme, second.id, (c) => c.status === 'hangup');
    await liveRow(page, second.id).waitFor({ state: 'detached', timeout: 1_000 });
    assert.equal((await acme.api('GET', `/v1.0/calls/${second.id}`)).body.hangup_by, 'local');
    assert.equal((await sipp.exited).code, 0, 'sipp saw both calls answered and ended by our BYE');
    await page.close();

    // The call page of the first call: its ladder, flow steps and quality charts.
    const call = await waitForCall(acme, first.id, (c) => c.status === 'hangup');
    const tab = await browser.newPage();
    await tab.setViewportSize({ width: 1280, height: 1100 });
    await signIn(tab, cb.handle.apiUrl, { key: acme.key });
    await show(tab, `calls/${call.id}`, 'call');
    await tab.waitForFunction(() => Number((globalThis as any).document.querySelector('#view').dataset.drawn) >= 1);
    const labels = await ladderLabels(tab);
    console.log(`# ladder: ${labels.join(' | ')}`);
    for (const m of ['INVITE', 'ACK', 'BYE']) assert.ok(labels.includes(m), `the ladder shows ${m}: ${labels}`);
    assert.ok(
      labels.some((l) => l.startsWith('200')),
      `the ladder shows a 200: ${labels}`,
    );
    assert.ok(labels.indexOf('INVITE') < labels.indexOf('BYE'), 'in time order');
    const out = await tab.$$eval('svg.ladder g.msg', (gs) => gs.map((g) => g.getAttribute('data-direction')));
    assert.ok(out.includes('in') && out.includes('out'), 'arrows both ways');
    const steps = await tab.$$eval('svg.ladder g.step', (gs) => gs.map((g) => g.getAttribute('data-label')));
    assert.ok(
      steps.some((l) => l?.startsWith('sleep')),
      `the flow steps are on the same axis: ${steps}`,
    );
    const peers = await tab.$$eval('svg.ladder text.peer', (ts) => ts.map((t) => t.textContent));
    assert.ok(peers.includes('callbin') && peers.length >= 3, `columns: ${peers}`);
    const chart = tab.locator('figure.chart canvas').first();
    await chart.waitFor();
    const points = Number(await tab.locator('figure.chart').first().getAttribute('data-points'));
    assert.ok(points > 0, 'the quality chart has data');
    const qos = (await acme.api('GET', `/v1.0/calls/${call.id}`)).body.qos;
    if (Array.isArray(qos)) await tab.locator('table[aria-label="Quality at hangup"] tbody tr').first().waitFor();
    console.log(`# quality: ${points} sample(s) charted; qos at hangup: ${JSON.stringify(qos)?.slice(0, 200)}`);
    assert.match((await tab.locator('dl.details').textContent()) ?? '', /hangup/);
    const shot = join(shots, 'console-call.png');
    await tab.screenshot({ path: shot, fullPage: true });
    console.log(`# screenshot of the call page: ${shot}`);
    const errors = browser.log().filter((l) => l.startsWith('[error]') || l.startsWith('[pageerror]'));
    assert.deepEqual(
      errors.filter((l) => !/status of 40[134]/.test(l)),
      [],
      'no console errors',
    );
    await tab.close();
  });
});
