import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import { expectStatus, startTestCallbin, waitForCall, type TestCallbin } from '../support/callbin.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import {
  answeringProvider,
  assertHidden,
  createCustomer,
  placeCall,
  show,
  signIn,
  type TestCustomer,
} from './console-helpers.ts';

const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('the web console at /console: flows, admin pages, tenancy, secrets, recordings, webhooks', () => {
  let cb: TestCallbin;
  let browser: TestBrowser;
  let acme: TestCustomer;
  let globex: TestCustomer;
  let sipp: SippProcess;
  let receiver: WebhookReceiver;
  let webhookSecret: string;

  before(async () => {
    cb = await startTestCallbin();
    browser = await launchBrowser();
    acme = await createCustomer(cb, 'Acme');
    globex = await createCustomer(cb, 'Globex');
    sipp = await answeringProvider(cb, 1);
    receiver = await WebhookReceiver.start();
    receiver.respondWith(() => 400); // a final failure: each delivery fails at its first attempt
    expectStatus(await acme.api('PUT', '/v1.0/customer', { webhook_uri: receiver.url(), webhook_method: 'POST' }), 200);
    webhookSecret = expectStatus(await acme.api('GET', '/v1.0/customer'), 200).webhook_secret;
    assert.ok(webhookSecret.length >= 16);
  });

  after(async () => {
    await browser?.close();
    await sipp?.stop();
    await receiver?.close();
    await cb?.close();
  });

  it('the flow editor marks a bad action, and saving shows the field error of the API next to it', async () => {
    const page = await browser.newPage();
    await signIn(page, cb.handle.apiUrl, { key: acme.key });
    await show(page, 'flows', 'flows');
    await page.getByRole('button', { name: 'New flow' }).click();
    await page.locator('.cm-editor').waitFor();
    await page.getByLabel('Flow name').fill('bad flow');
    const setDoc = (text: string) =>
      page.evaluate((t) => {
        const v = (globalThis as any).__flowEditor;
        v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: t } });
      }, text);
    await setDoc('[{"type": "answer"}, {"type": "talk", "option": {}}]');
    await page.locator('.cm-lintRange-error').first().waitFor();
    await page.getByRole('button', { name: 'Save flow' }).click();
    const error = page.locator('#flow-errors li[data-field="actions[1].option.text"]');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /INVALID_ACTION/);
    assert.equal(expectStatus(await acme.api('GET', '/v1.0/flows'), 200).result.length, 0, 'nothing was saved');

    await setDoc('[{"type": "answer"}, {"type": "talk", "option": {"text": "hi", "language": "en-US"}}]');
    await page.getByRole('button', { name: 'Save flow' }).click();
    await page.locator('#flow-errors li.ok').waitFor();
    const flows = expectStatus(await acme.api('GET', '/v1.0/flows'), 200).result;
    assert.deepEqual(
      flows.map((f: any) => f.name),
      ['bad flow'],
    );
    await page.locator(`table[aria-label="Flows"] tr[data-id="${flows[0].id}"]`).waitFor();
    const refused = browser.log().filter((l) => /Content Security Policy|\[pageerror\]/.test(l));
    assert.deepEqual(refused, [], 'the editor works within the page CSP, without errors');
    await page.close();
  });

  it('the project admin sees providers and routes; a customer neither sees nor reaches them', async () => {
    const admin = cb.handle.admin!;
    const page = await browser.newPage();
    await signIn(page, cb.handle.apiUrl, { username: admin.username, password: admin.password });
    assert.ok(await page.getByRole('link', { name: 'Providers' }).isVisible());
    assert.ok(await page.getByRole('link', { name: 'Routes' }).isVisible());
    await show(page, 'providers', 'providers');
    assert.equal(await page.locator('table[aria-label="Providers"] tbody tr').count(), 1);
    await show(page, 'routes', 'routes');
    assert.equal(await page.locator('table[aria-label="Routes"] tbody tr').count(), 1);
    await page.close();

    const tab = await browser.newPage();
    await signIn(tab, cb.handle.apiUrl, { key: acme.key });
    assert.equal(await tab.getByRole('link', { name: 'Providers' }).isVisible(), false);
    assert.equal(await tab.getByRole('link', { name: 'Routes' }).isVisible(), false);
    await show(tab, 'providers', 'not-found');
    assert.equal(await tab.locator('table').count(), 0);
    assert.equal((await acme.api('GET', '/v1.0/providers')).status, 403);
    await tab.close();
  });

  it('records from the call page, hangs up, plays the recording; another customer sees "not found"', async () => {
    const call = await placeCall(acme, '+15550003001');
    await waitForCall(acme, call.id, (c) => c.status === 'progressing');
    const page = await browser.newPage();
    await signIn(page, cb.handle.apiUrl, { key: acme.key });
    await show(page, `calls/${call.id}`, 'call');
    await page.getByRole('button', { name: `Record ${call.id}` }).click();
    await until('a recording', async () => (await acme.api('GET', '/v1.0/recordings')).body.result.length === 1);
    await new Promise((r) => setTimeout(r, 500)); // half a second of audio
    await page.getByRole('button', { name: `Stop recording ${call.id}` }).click();
    await until(
      'the recording to end',
      async () => (await acme.api('GET', '/v1.0/recordings')).body.result[0].status === 'ended',
    );
    await page.getByRole('button', { name: `Hang up ${call.id}` }).click();
    await waitForCall(acme, call.id, (c) => c.status === 'hangup');
    await page.locator('dl.details', { hasText: 'Hung up' }).filter({ hasText: 'local' }).waitFor();

    await show(page, 'recordings', 'recordings');
    await page.getByRole('button', { name: 'Play' }).click();
    const audio = page.locator('audio[data-id]');
    await audio.first().waitFor();
    assert.equal(await audio.count(), 2, 'both directions of the call');
    for (const src of await audio.evaluateAll((as) => as.map((a) => a.getAttribute('src') ?? '')))
      assert.match(src, /^blob:/);
    await page.waitForFunction(
      () => [...(globalThis as any).document.querySelectorAll('audio[data-id]')].every((a: any) => a.duration > 0.2),
      undefined,
      { timeout: 10_000 },
    );
    const seconds = await audio.evaluateAll((as) => as.map((a) => (a as any).duration.toFixed(2)));
    console.log(`# the recording plays in the page: ${seconds.join(' s, ')} s`);
    await page.close();

    const other = await browser.newPage();
    await signIn(other, cb.handle.apiUrl, { key: globex.key });
    await show(other, `calls/${call.id}`, 'call');
    await other.locator('#not-found').waitFor();
    assert.match((await other.locator('#view').textContent()) ?? '', /not found/i);
    assert.equal((await globex.api('GET', `/v1.0/calls/${call.id}`)).status, 404);
    assert.equal((await globex.api('GET', `/v1.0/calls/${call.id}/timeline?kinds=sip`)).status, 404);
    await other.close();
  });

  it('never renders the webhook secret or a SIP password before "Reveal"; another customer gets 404', async () => {
    const sipPassword = `sip-pw-${Math.random().toString(36).slice(2)}`;
    const page = await browser.newPage();
    await signIn(page, cb.handle.apiUrl, { username: acme.username, password: acme.password });
    await show(page, 'extensions', 'extensions');
    await page.getByLabel('Extension', { exact: true }).fill('2001');
    await page.getByLabel('SIP password', { exact: true }).fill(sipPassword);
    await assertHidden(page, [sipPassword], 'the create form');
    await page.getByRole('button', { name: 'Create extension' }).click();
    await page.locator('table[aria-label="Extensions"] tbody tr').waitFor();
    const [ext] = expectStatus(await acme.api('GET', '/v1.0/extensions'), 200).result;
    assert.equal(ext.extension, '2001');
    for (const [hash, view] of [
      ['extensions', 'extensions'],
      ['settings', 'settings'],
      ['webhooks', 'webhooks'],
      ['calls', 'calls'],
      ['flows', 'flows'],
    ] as const) {
      await show(page, hash, view);
      await assertHidden(page, [webhookSecret, sipPassword], `#/${hash}`);
    }
    await show(page, 'settings', 'settings');
    await page.getByRole('button', { name: 'Reveal webhook secret' }).click();
    await page.getByLabel('webhook secret').filter({ hasText: webhookSecret }).waitFor();
    assert.ok((await page.content()).includes(webhookSecret), 'shown once revealed');
    assert.equal((await globex.api('GET', `/v1.0/extensions/${ext.id}`)).status, 404);
    assert.doesNotMatch(
      JSON.stringify((await acme.api('GET', `/v1.0/extensions/${ext.id}`)).body),
      new RegExp(sipPassword),
    );

    await show(page, 'extensions', 'extensions');
    await page.getByRole('button', { name: `Delete extension ${ext.id}` }).click();
    await page.locator('table[aria-label="Extensions"]').waitFor({ state: 'detached' });
    assert.equal(expectStatus(await acme.api('GET', '/v1.0/extensions'), 200).result.length, 0);
    await page.close();
  });

  it('lists the webhook deliveries and redelivers one', async () => {
    await until(
      'failed deliveries',
      async () => (await acme.api('GET', '/v1.0/webhook_deliveries?status=failed')).body.result.length > 0,
    );
    const [failed] = (await acme.api('GET', '/v1.0/webhook_deliveries?status=failed')).body.result;
    const page = await browser.newPage();
    await signIn(page, cb.handle.apiUrl, { key: acme.key });
    await show(page, 'webhooks', 'webhooks');
    const row = page.locator(`table[aria-label="Webhook deliveries"] tr[data-id="${failed.id}"]`);
    assert.match((await row.textContent()) ?? '', /failed/);
    receiver.respondWith(() => 200);
    await page.getByRole('button', { name: `Redeliver ${failed.id}` }).click();
    await until('the redelivery', async () => {
      const d = (await acme.api('GET', `/v1.0/webhook_deliveries/${failed.id}`)).body;
      return d.status === 'delivered';
    });
    assert.ok(
      receiver.delivered.some((r) => r.json?.event_id === failed.event_id),
      'the receiver got it again',
    );
    await page.getByRole('button', { name: 'Refresh' }).click();
    await row.filter({ hasText: 'delivered' }).waitFor({ timeout: 5_000 });
    await page.close();
  });
});
