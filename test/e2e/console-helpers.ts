// Support of the console's browser tests (docs/console.md): customers with keys and users, calls
// to a sipp provider that answers, signing in through the page's form, and the timeline the call
// page draws.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { apiCall, createProvider, createRoute, expectStatus, startSippProvider } from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';
import type { SippProcess } from '../support/calls-harness.ts';

/** A customer as the console tests use it: its id, an access key and a login user. */
export interface TestCustomer {
  id: string;
  key: string;
  username: string;
  password: string;
  api(method: string, path: string, body?: unknown): ReturnType<typeof apiCall>;
}

/** Creates a customer (project admin), its first access key, and a user made with that key. */
export async function createCustomer(cb: TestCallbin, name: string): Promise<TestCustomer> {
  const customer = expectStatus(await cb.api('POST', '/v1.0/customers', { name }), 200);
  const key = expectStatus(
    await cb.api('POST', '/v1.0/accesskeys', { customer_id: customer.id, name: 'console' }),
    200,
  );
  const api = (method: string, path: string, body?: unknown) =>
    apiCall(cb.handle.apiUrl, key.token, method, path, body);
  const username = `${name.toLowerCase()}-user`;
  const password = `pw-${name}-${Math.random().toString(36).slice(2)}`;
  expectStatus(await api('POST', '/v1.0/users', { username, password }), 200);
  return { id: customer.id, key: key.token, username, password, api };
}

/** A sipp provider answering `calls` calls and waiting for callbin's BYE, routed for every customer (`+1`). */
export async function answeringProvider(cb: TestCallbin, calls: number): Promise<SippProcess> {
  const provider = await startSippProvider('e2e-uas-answer-wait-bye.xml', ['-m', String(calls)]);
  await createRoute(cb, await createProvider(cb, provider.port), 1, '+1');
  return provider.sipp;
}

/** Places a call of `customer` to the provider that sleeps in its flow; returns the call. */
export async function placeCall(customer: TestCustomer, to: string): Promise<{ id: string }> {
  const res = await customer.api('POST', '/v1.0/calls', {
    source: { type: 'tel', target: '+15550001000' },
    destinations: [{ type: 'tel', target: to }],
    actions: [{ type: 'sleep', option: { duration: 60_000 } }],
  });
  return expectStatus(res, 200).calls[0];
}

/** Opens /console and signs in through the form with a user, or with an access key. */
export async function signIn(
  page: Page,
  apiUrl: string,
  who: { username: string; password: string } | { key: string },
) {
  await page.goto(`${apiUrl}/console`);
  await page.waitForFunction(() => ((globalThis as any).__console?.view ?? '') !== '');
  // A login cookie of another tab signs the page in at once: sign that session out first.
  if ((await page.evaluate(() => (globalThis as any).__console.view)) !== 'signin')
    await page.getByRole('button', { name: 'Sign out' }).click();
  await page
    .waitForFunction(() => (globalThis as any).__console?.view === 'signin', undefined, { timeout: 10_000 })
    .catch(async (err: Error) => {
      throw new Error(`no sign-in form: ${err.message}; the page shows: ${await page.locator('body').textContent()}`);
    });
  if ('key' in who) {
    await page.getByLabel('Access key').fill(who.key);
    await page.getByRole('button', { name: 'Sign in with key' }).click();
  } else {
    await page.getByLabel('Username').fill(who.username);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }
  await page
    .waitForFunction(
      () => (globalThis as any).__console?.me && (globalThis as any).__console?.view !== 'signin',
      undefined,
      {
        timeout: 10_000,
      },
    )
    .catch(async (err: Error) => {
      throw new Error(`not signed in: ${err.message}; the page shows: ${await page.locator('body').textContent()}`);
    });
}

/** Shows `#/<hash>` and waits until the view is drawn. */
export async function show(page: Page, hash: string, view: string): Promise<void> {
  await page.evaluate((h) => ((globalThis as any).location.hash = h), `#/${hash}`);
  await page
    .waitForFunction((v) => (globalThis as any).__console?.view === v, view, { timeout: 10_000 })
    .catch(async (err: Error) => {
      throw new Error(`not on ${view}: ${err.message}; the page shows: ${await page.locator('body').textContent()}`);
    });
  await page.waitForFunction(
    () => !(globalThis as any).document.querySelector('#view')?.textContent?.startsWith('Loading'),
  );
}

/** The labels of the ladder's arrows, in time order. */
export async function ladderLabels(page: Page): Promise<string[]> {
  await page.locator('svg.ladder').waitFor();
  return page.$$eval('svg.ladder g.msg', (gs) => gs.map((g) => g.getAttribute('data-label') ?? ''));
}

/** Asserts the page's HTML holds none of `secrets`. */
export async function assertHidden(page: Page, secrets: string[], where: string): Promise<void> {
  const html = await page.content();
  for (const s of secrets) assert.ok(!html.includes(s), `${where}: the page shows a secret`);
}
