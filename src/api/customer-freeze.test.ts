import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../shared/index.ts';
import { openTestStore, startTestServer, type TestServer } from './testing/test-server.ts';

const T0 = Date.UTC(2026, 2, 1, 9, 30);

describe('api: freezing and recovering a customer', () => {
  let api: TestServer<FakeClock>;
  const ended: string[] = [];
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  let userToken = '';

  before(async () => {
    api = await startTestServer(await openTestStore(new FakeClock(T0)), {
      deps: { onCustomerDeleted: (id) => ended.push(id) },
    });
    a = await api.newCustomer('A');
    b = await api.newCustomer('B');
    const user = await api.request('POST', '/v1.0/users', {
      key: a.key,
      body: { username: 'frozen-alice', password: 'correct horse' },
    });
    assert.equal(user.status, 200, JSON.stringify(user.body));
    const login = await api.request('POST', '/v1.0/auth/login', {
      key: null,
      body: { username: 'frozen-alice', password: 'correct horse' },
    });
    assert.equal(login.status, 200);
    userToken = login.body.token;
  });
  after(async () => api.close());

  it('a customer is active, with no deletion scheduled, until frozen', async () => {
    const c = await api.request('GET', `/v1.0/customers/${a.id}`);
    assert.equal(c.body.status, 'active');
    assert.equal(c.body.tm_deletion_scheduled, null);
    // The key is used (and its lookup cached) before the freeze.
    assert.equal((await api.request('GET', '/v1.0/flows', { key: a.key })).status, 200);
  });

  it('only the project admin freezes; an unknown customer is 404', async () => {
    const byCustomer = await api.request('POST', `/v1.0/customers/${b.id}/freeze`, { key: a.key });
    assert.equal(byCustomer.status, 403);
    assert.equal(byCustomer.body.error.reason, 'PERMISSION_DENIED');
    const unknown = await api.request('POST', '/v1.0/customers/6f1c2a3b-0000-4000-8000-000000000000/freeze');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.reason, 'CUSTOMER_NOT_FOUND');
    const recoverActive = await api.request('POST', `/v1.0/customers/${b.id}/recover`);
    assert.equal(recoverActive.status, 409);
    assert.equal(recoverActive.body.error.reason, 'CUSTOMER_NOT_FROZEN');
    assert.deepEqual(ended, [], 'nothing was frozen');
  });

  it('freezing answers the frozen customer, ends its calls, and a second freeze changes nothing', async () => {
    api.clock.advance(60_000);
    const frozenAt = new Date(T0 + 60_000).toISOString();
    const frozen = await api.request('POST', `/v1.0/customers/${a.id}/freeze`);
    assert.equal(frozen.status, 200, JSON.stringify(frozen.body));
    assert.equal(frozen.body.status, 'frozen');
    assert.equal(frozen.body.tm_deletion_scheduled, frozenAt);
    assert.equal(frozen.body.webhook_secret, undefined, 'no secret in the admin view');
    assert.deepEqual(
      frozen.body,
      (await api.request('GET', `/v1.0/customers/${a.id}`)).body,
      'the answer is the customer',
    );
    assert.deepEqual(ended, [a.id], "the customer's live calls and activeflows end");
    api.clock.advance(60_000);
    const again = await api.request('POST', `/v1.0/customers/${a.id}/freeze`);
    assert.equal(again.status, 200);
    assert.equal(again.body.tm_deletion_scheduled, frozenAt, 'the first freeze time stays');
    assert.deepEqual(ended, [a.id], 'calls are not ended twice');
  });

  it("a frozen customer's key and login token get 403 CUSTOMER_FROZEN, except reading its own customer", async () => {
    for (const key of [a.key, userToken]) {
      for (const [method, path, body] of [
        ['GET', '/v1.0/flows', undefined],
        ['POST', '/v1.0/flows', { name: 'x', actions: [{ type: 'answer' }] }],
        ['POST', '/v1.0/calls', { source: { type: 'tel', target: '+15550001000' }, destinations: [] }],
        ['PUT', '/v1.0/customer', { name: 'renamed' }],
        ['GET', '/v1/extensions', undefined],
      ] as const) {
        const res = await api.request(method, path, { key, body });
        assert.equal(res.status, 403, `${method} ${path}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.reason, 'CUSTOMER_FROZEN');
      }
      const me = await api.request('GET', '/v1.0/customer', { key });
      assert.equal(me.status, 200);
      assert.equal(me.body.status, 'frozen');
    }
    // Another customer and the project admin are not affected; the admin still sees the frozen one.
    assert.equal((await api.request('GET', '/v1.0/flows', { key: b.key })).status, 200);
    const listed = await api.request('GET', '/v1.0/customers?page_size=100');
    assert.equal(listed.body.result.find((c: { id: string }) => c.id === a.id)?.status, 'frozen');
  });

  it('recovering restores the customer, its key and its login token at once', async () => {
    const recovered = await api.request('POST', `/v1.0/customers/${a.id}/recover`);
    assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
    assert.equal(recovered.body.status, 'active');
    assert.equal(recovered.body.tm_deletion_scheduled, null);
    assert.equal((await api.request('GET', '/v1.0/flows', { key: a.key })).status, 200);
    assert.equal((await api.request('GET', '/v1.0/flows', { key: userToken })).status, 200);
    const again = await api.request('POST', `/v1.0/customers/${a.id}/recover`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.reason, 'CUSTOMER_NOT_FROZEN');
  });
});
